import { renderHtmlReport } from '../../src/report/html-report';
import { escapeXml, niceTicks, renderLineChart } from '../../src/report/svg-chart';
import { report } from './fixtures';

describe('HTML report', () => {
  it('is one self-contained page: four inline SVG charts, no scripts, no external assets', () => {
    const html = renderHtmlReport(report());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(4);
    for (const title of ['Throughput', 'Latency', 'Daemon memory', 'CPU']) expect(html).toContain(title);
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
    // The only URL is the SVG namespace identifier, which is never fetched.
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:/);
  });

  it('escapes names and reject codes', () => {
    const html = renderHtmlReport(report({ totals: { ...report().totals, rejectedByCode: { '<b>': 1 } } }));
    expect(html).toContain('steady &lt;test&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('&lt;b&gt;');
    expect(html).not.toContain('<test>');
  });

  it('shows a failed ledger check prominently', () => {
    expect(renderHtmlReport(report({ balanced: false }))).toContain('NOT balanced');
    expect(renderHtmlReport(report({ balanced: null }))).toContain('not checked');
  });
});

describe('SVG line chart', () => {
  it('draws one path per series and breaks lines at gaps', () => {
    const svg = renderLineChart({
      title: 't',
      unit: 'ms',
      x: [1, 2, 3, 4],
      series: [
        { name: 'a', color: '#000', values: [1, 2, undefined, 4] },
        { name: 'b', color: '#111', values: [undefined, undefined, undefined, undefined] },
      ],
    });
    const paths = svg.match(/<path d="([^"]+)"/g) ?? [];
    expect(paths).toHaveLength(1);
    expect(((paths[0] ?? '').match(/M/g) ?? []).length).toBe(2);
  });

  it('picks round axis ticks that cover the data', () => {
    expect(niceTicks(0, 97, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 0, 5)[0]).toBe(0);
  });

  it('escapes XML special characters', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
