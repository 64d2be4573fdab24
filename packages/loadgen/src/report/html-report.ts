import type { LoadReport } from './load-report';
import { escapeXml, renderLineChart } from './svg-chart';

function row(label: string, value: unknown): string {
  const text = value === undefined || value === null ? '—' : String(value);
  return `<tr><th>${escapeXml(label)}</th><td>${escapeXml(text)}</td></tr>`;
}

/** A self-contained HTML page: summary tables and inline SVG charts over the per-interval series. */
export function renderHtmlReport(report: LoadReport): string {
  const s = report.series;
  const x = s.map((p) => p.t);
  const t = report.totals;
  const charts = [
    renderLineChart({
      title: 'Throughput',
      unit: 'packets/s',
      x,
      series: [
        { name: 'target', color: '#999999', values: s.map((p) => p.targetRate) },
        { name: 'sent/s', color: '#1f77b4', values: s.map((p) => p.sent) },
        { name: 'fulfilled/s', color: '#2ca02c', values: s.map((p) => p.pps) },
        { name: 'rejected/s', color: '#d62728', values: s.map((p) => p.rejected) },
      ],
    }),
    renderLineChart({
      title: 'Latency (from scheduled send time)',
      unit: 'ms',
      x,
      series: [
        { name: 'p50', color: '#2ca02c', values: s.map((p) => (p.fulfilled > 0 ? p.p50Ms : undefined)) },
        { name: 'p99', color: '#ff7f0e', values: s.map((p) => (p.fulfilled > 0 ? p.p99Ms : undefined)) },
        { name: 'p99.9', color: '#d62728', values: s.map((p) => (p.fulfilled > 0 ? p.p999Ms : undefined)) },
        {
          name: 'send lag p99',
          color: '#7f7f7f',
          values: s.map((p) => (p.sent > 0 ? p.sendLagP99Ms : undefined)),
        },
      ],
    }),
    renderLineChart({
      title: 'Daemon memory',
      unit: 'MB',
      x,
      series: [
        { name: 'heap used', color: '#9467bd', values: s.map((p) => p.daemon.heapMB) },
        { name: 'RSS', color: '#8c564b', values: s.map((p) => p.daemon.rssMB) },
      ],
    }),
    renderLineChart({
      title: 'CPU',
      unit: '%',
      x,
      series: [
        { name: 'daemon (machine)', color: '#1f77b4', values: s.map((p) => p.daemon.cpuPct) },
        { name: 'daemon (1 core)', color: '#17becf', values: s.map((p) => p.daemon.cpuPctPerCore) },
        { name: 'machine busy', color: '#7f7f7f', values: s.map((p) => p.machineCpuPct) },
        { name: 'loadgen (1 core)', color: '#bcbd22', values: s.map((p) => p.loadgenCpuPctPerCore) },
      ],
    }),
  ];
  const codes = Object.entries(t.rejectedByCode);
  const b = report.balances;
  const balanceHtml = b
    ? `<table>${row('balanced', b.balanced)}${row('fulfilled amount (sender)', b.fulfilledAmount)}${row(
        'fulfilled amount (receiver)',
        b.receiverFulfilledAmount,
      )}${row(`${b.sender.peer} delta (expected)`, `${b.sender.delta} (${b.sender.expectedDelta})`)}${row(
        `${b.receiver.peer} delta (expected)`,
        `${b.receiver.delta} (${b.receiver.expectedDelta})`,
      )}</table>`
    : report.balanceError
      ? `<p class="bad">Ledger check failed: ${escapeXml(report.balanceError)}</p>`
      : '<p>No balances endpoint: ledger not checked.</p>';
  const status = report.balanced === false ? 'bad' : 'ok';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(`ilpd-loadgen: ${report.name}`)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:13px}
th{background:#f6f6f6;font-weight:600}.ok{color:#2ca02c}.bad{color:#d62728}.grid{display:flex;flex-wrap:wrap;gap:16px}
</style></head><body>
<h1>${escapeXml(report.name)}</h1>
<p>${escapeXml(`${report.profile.name} profile, ${report.startedAt} → ${report.finishedAt}`)}
 — ledger <span class="${status}">${escapeXml(report.balanced === null ? 'not checked' : report.balanced ? 'balanced' : 'NOT balanced')}</span></p>
${report.aborted ? `<p class="bad">Run ended early: ${escapeXml(report.aborted)}</p>` : ''}
<div class="grid"><div><h2>Totals</h2><table>
${row('duration (s)', t.durationS)}${row('target packets/s', t.targetPps)}${row('sent', t.sent)}${row('fulfilled', t.fulfilled)}
${row('rejected', t.rejected)}${row('timed out', t.timedOut)}${row('fulfilled packets/s', t.pps)}
${row('latency p50 / p99 / p99.9 / max (ms)', `${t.latencyMs.p50Ms} / ${t.latencyMs.p99Ms} / ${t.latencyMs.p999Ms} / ${t.latencyMs.maxMs}`)}
${row('loadgen send lag p99 / max (ms)', `${t.sendLagMs.p99Ms} / ${t.sendLagMs.maxMs}`)}
${row('daemon heap max (MB)', t.daemon.heapMBMax)}${row('daemon heap slope (MB/h)', t.daemon.heapSlopeMBPerHour)}
${row('daemon RSS max (MB)', t.daemon.rssMBMax)}${row('daemon CPU avg / max (% of machine)', `${t.daemon.cpuPctAvg ?? '—'} / ${t.daemon.cpuPctMax ?? '—'}`)}
${row('daemon CPU avg (% of one core)', t.daemon.cpuPctPerCoreAvg)}${row('loadgen CPU avg (% of one core)', t.loadgenCpuPctPerCoreAvg)}
</table></div>
<div><h2>Rejects by code</h2><table><tr><th>code</th><th>count</th></tr>
${codes.length === 0 ? '<tr><td colspan="2">none</td></tr>' : codes.map(([c, n]) => `<tr><td>${escapeXml(c)}</td><td>${n}</td></tr>`).join('')}
</table><h2>Ledger check</h2>${balanceHtml}</div></div>
${charts.join('\n')}
</body></html>
`;
}
