/**
 * Constants shared by the peer protocols (ILDCP, CCP): they are answered by the adjacent connector,
 * never forwarded, so the condition is fixed: sha256 of 32 zero bytes, fulfilled by those zero bytes.
 */
export const PEER_PROTOCOL_FULFILLMENT: Buffer = Buffer.alloc(32);
export const PEER_PROTOCOL_CONDITION: Buffer = Buffer.from(
  'Zmh6rfhivXdsj8GLjp+OIAiXFIVu4jOzkCpZHQ1fKSU=',
  'base64',
);
/** Default expiry of a peer protocol request, as in the reference implementations. */
export const PEER_PROTOCOL_EXPIRY_MS = 60_000;
