import { Writable } from 'node:stream';
import { createLogger, resolveLogFormat } from '../../src/telemetry/logger';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('log format', () => {
  it('is pretty on a terminal and JSON otherwise when log.format is auto', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('auto', undefined)).toBe('json');
  });

  it('uses the forced format whatever stdout is', () => {
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('writes one JSON object per line in json format', () => {
    const out = sink();
    createLogger('info', { format: 'json', destination: out.stream }).info({ peer: 'alice' }, 'hello');
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, name: 'ilpd', peer: 'alice', msg: 'hello' });
  });

  it('writes readable lines (level, message, fields) in pretty format', () => {
    const out = sink();
    createLogger('info', { format: 'pretty', destination: out.stream }).warn({ peer: 'alice' }, 'hello');
    const text = out.text();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: hello\n/);
    expect(text).toContain('peer: "alice"');
    expect(() => JSON.parse(text)).toThrow();
  });
});
