import { compileChannelsContract } from '../../../../../contracts/compile';
import { CHANNELS_CONTRACT } from '../../../src/settlement/evm/contract-artifact';

describe('the committed contract artifact', () => {
  it('is what npm solc compiles from contracts/UnidirectionalEthChannels.sol (else: npm run contracts:build)', () => {
    const compiled = compileChannelsContract();
    expect(compiled.compilerVersion).toBe(CHANNELS_CONTRACT.compilerVersion);
    expect(compiled.settings).toEqual(CHANNELS_CONTRACT.settings);
    expect(compiled.abi).toEqual(CHANNELS_CONTRACT.abi);
    expect(compiled.bytecode).toBe(CHANNELS_CONTRACT.bytecode);
  });
});
