/** Minimal inline-SVG line charts for the self-contained HTML report (no scripts, no external assets). */
export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  /** One value per x; undefined leaves a gap. */
  readonly values: readonly (number | undefined)[];
}

export interface LineChartSpec {
  readonly title: string;
  readonly unit: string;
  readonly x: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly width?: number;
  readonly height?: number;
}

export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** Round tick values (1, 2, 2.5, 5 × 10^k) covering [min, max] with about `count` steps. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max <= min) max = min + 1;
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v < max + step * 0.5; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

export function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}

export function renderLineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 900;
  const height = spec.height ?? 260;
  const m = { left: 64, right: 16, top: 44, bottom: 34 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const xs = spec.x;
  const xMin = xs.length > 0 ? Math.min(0, xs[0]) : 0;
  const xMax = xs.length > 0 ? Math.max(xs[xs.length - 1], xMin + 1) : 1;
  let yMax = 0;
  for (const s of spec.series)
    for (const v of s.values) if (v !== undefined && Number.isFinite(v) && v > yMax) yMax = v;
  const yTicks = niceTicks(0, yMax > 0 ? yMax : 1, 5);
  const yTop = yTicks[yTicks.length - 1];
  const xTicks = niceTicks(xMin, xMax, 8).filter((t) => t <= xMax);
  const px = (x: number) => m.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number) => m.top + plotH - (y / yTop) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(spec.title)}">`,
  );
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="${m.left}" y="18" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + plotW}" y2="${y}" stroke="#e4e4e4"/>`);
    parts.push(
      `<text x="${m.left - 6}" y="${y}" font-size="11" text-anchor="end" dominant-baseline="middle">${escapeXml(formatNumber(t))}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = px(t).toFixed(1);
    parts.push(`<line x1="${x}" y1="${m.top + plotH}" x2="${x}" y2="${m.top + plotH + 4}" stroke="#888"/>`);
    parts.push(
      `<text x="${x}" y="${m.top + plotH + 16}" font-size="11" text-anchor="middle">${escapeXml(formatNumber(t))}</text>`,
    );
  }
  parts.push(
    `<text x="${m.left + plotW}" y="${height - 4}" font-size="11" text-anchor="end">time (s)</text>`,
    `<text x="12" y="${m.top + plotH / 2}" font-size="11" transform="rotate(-90 12 ${m.top + plotH / 2})" text-anchor="middle">${escapeXml(spec.unit)}</text>`,
    `<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
  );
  let legendX = m.left;
  spec.series.forEach((s) => {
    let d = '';
    let pen = false;
    s.values.forEach((v, j) => {
      if (v === undefined || !Number.isFinite(v) || j >= xs.length) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${px(xs[j]).toFixed(1)},${py(v).toFixed(1)}`;
      pen = true;
    });
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="1.5"/>`);
    // Legend on its own row under the title; ~6.5 px per character at font-size 11.
    parts.push(`<rect x="${legendX}" y="29" width="12" height="3" fill="${escapeXml(s.color)}"/>`);
    parts.push(`<text x="${legendX + 16}" y="34" font-size="11">${escapeXml(s.name)}</text>`);
    legendX += 16 + Math.ceil(s.name.length * 6.5) + 18;
  });
  parts.push('</svg>');
  return parts.join('\n');
}
