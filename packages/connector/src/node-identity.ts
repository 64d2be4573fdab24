import { isValidIlpAddress } from '@ilpd/codec';
import { DaemonError } from './errors';
import type { NodeIdentity } from './ports';

/**
 * Our ILP address, known from config at construction or assigned once at startup by a parent over
 * ILDCP. Reading it before it is known is a programming error (components that need it start after it
 * is set); `isSet` lets the reject boundary stay total during that window.
 */
export class SettableNodeIdentity implements NodeIdentity {
  private value: string | undefined;

  constructor(address?: string) {
    if (address !== undefined) this.set(address);
  }

  get isSet(): boolean {
    return this.value !== undefined;
  }

  get address(): string {
    if (this.value === undefined) {
      throw new DaemonError('ILPD_ERR_INTERNAL', 'our ILP address is not known yet');
    }
    return this.value;
  }

  /** Sets the address once; setting the same address again is a no-op, a different one is an error. */
  set(address: string): void {
    if (!isValidIlpAddress(address)) {
      throw new DaemonError(
        'ILPD_ERR_CONFIG',
        `address: expected an ILP address like g.example, got ${address}`,
      );
    }
    if (this.value !== undefined && this.value !== address) {
      throw new DaemonError(
        'ILPD_ERR_INTERNAL',
        `our ILP address is already ${this.value}, cannot change it`,
      );
    }
    this.value = address;
  }
}

/** The address for triggeredBy, or '' while it is not known yet. Never throws. */
export function addressOrEmpty(identity: NodeIdentity): string {
  if (identity instanceof SettableNodeIdentity && !identity.isSet) return '';
  try {
    return identity.address;
  } catch {
    return '';
  }
}

/** The address we assign a child (ILDCP, and its local route): our address plus its peer id as one more segment. */
export function childAddress(ourAddress: string, peerId: string): string {
  return `${ourAddress}.${peerId}`;
}
