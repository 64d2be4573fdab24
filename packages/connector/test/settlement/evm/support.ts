import {
  Contract,
  ContractFactory,
  JsonRpcProvider,
  Network,
  Wallet,
  type InterfaceAbi,
  type TransactionReceipt,
  type TransactionResponse,
} from 'ethers';
import pino from 'pino';
import { Anvil } from '../../../../../test/helpers/anvil';
import { CHANNELS_INTERFACE } from '../../../src/settlement/evm/channels-contract';
import { CHANNELS_CONTRACT } from '../../../src/settlement/evm/contract-artifact';

/** Shared by the EVM suites: a real anvil, ethers wallets on it, and the channel contract. */
export const CHALLENGE_PERIOD = 3600;
export const ETH = 10n ** 18n;
export const silentLogger = pino({ level: 'silent' });

export interface Chain {
  readonly anvil: Anvil;
  readonly provider: JsonRpcProvider;
  /** Funded dev accounts, connected to `provider`. */
  readonly wallets: Wallet[];
}

export async function startChain(chainId = 31337): Promise<Chain> {
  const anvil = await Anvil.spawn({ chainId });
  const network = Network.from(chainId);
  const provider = new JsonRpcProvider(anvil.url, network, {
    staticNetwork: network,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  const wallets = anvil.privateKeys.map((key) => new Wallet(key, provider));
  return { anvil, provider, wallets };
}

export async function stopChain(chain: Chain | undefined): Promise<void> {
  chain?.provider.destroy();
  await chain?.anvil.kill();
}

/** Deploys the channel contract straight through ethers (the engine suites use deployChannelsContract). */
export async function deployChannels(
  deployer: Wallet,
  challengePeriod = CHALLENGE_PERIOD,
): Promise<Contract> {
  const factory = new ContractFactory(
    CHANNELS_CONTRACT.abi as InterfaceAbi,
    CHANNELS_CONTRACT.bytecode,
    deployer,
  );
  const contract = await factory.deploy(challengePeriod);
  await receiptOf(contract.deploymentTransaction());
  return contract as Contract;
}

/**
 * The receipt of a sent transaction, polled every 20 ms. Not ethers' `wait()`: when the first receipt
 * lookup comes too early it waits for the next block, which an automining anvil only makes for the
 * next transaction.
 */
export async function receiptOf(
  sent: Promise<TransactionResponse | null> | TransactionResponse | null,
): Promise<TransactionReceipt> {
  const tx = await sent;
  if (tx === null) throw new Error('no transaction');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const receipt = await tx.provider.getTransactionReceipt(tx.hash);
    if (receipt !== null) return receipt;
    if (Date.now() > deadline) throw new Error(`no receipt for ${tx.hash}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * What a contract call rejected with: the custom error's name and arguments, decoded from the revert
 * data with the channel contract's ABI (ethers leaves custom errors undecoded when a wallet estimates).
 */
export async function revertOf(call: Promise<unknown>): Promise<{ name: string; args: unknown[] }> {
  try {
    await call;
  } catch (err) {
    const data = (err as { data?: unknown }).data;
    const parsed = typeof data === 'string' ? CHANNELS_INTERFACE.parseError(data) : null;
    if (parsed === null) throw err;
    return { name: parsed.name, args: [...parsed.args] };
  }
  throw new Error('expected the call to revert, but it succeeded');
}
