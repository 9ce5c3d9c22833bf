/**
 * The expiry timeline (uPlot on a canvas): one point per expiring thing, x its expiry time, y its kind,
 * a series per status; a line marks now and one the end of the warning window. The table beside it
 * carries the same items as text (the chart is labelled and hidden from the accessibility tree's details).
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ExpiryItem, ExpiryKind } from '../../../src/app/dashboard/dashboard-api.js';
import { serverNow } from '../relative-time.js';

export const KINDS: ExpiryKind[] = [
  'timestamp',
  'snapshot',
  'targets',
  'delegation',
  'root',
  'root-certificate',
  'notation-certificate',
  'cosign-certificate',
];
const STATUSES: { status: ExpiryItem['status']; label: string; stroke: string; fill: string; size: number }[] = [
  { status: 'expired', label: 'expired', stroke: '#a4161a', fill: '#a4161a', size: 11 },
  { status: 'expiring', label: 'expiring', stroke: '#8a4b00', fill: '#f5b041', size: 10 },
  { status: 'ok', label: 'ok', stroke: '#1f5f8b', fill: '#ffffff', size: 8 },
];

function dataOf(items: readonly ExpiryItem[]): uPlot.AlignedData {
  const sorted = [...items].sort((a, b) => Date.parse(a.expires) - Date.parse(b.expires));
  const xs = sorted.map((i) => Date.parse(i.expires) / 1000);
  const ys = STATUSES.map((s) => sorted.map((i) => (i.status === s.status ? KINDS.indexOf(i.kind) : null)));
  return [xs, ...ys];
}

export function ExpiryChart({ items, warnDays }: { items: readonly ExpiryItem[]; warnDays: number }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el || items.length === 0) return;
    const now = serverNow() / 1000;
    const warnEnd = now + warnDays * 86_400;
    const data = dataOf(items);
    const xs = data[0];
    const lo = Math.min(now, xs[0] ?? now) - 86_400;
    const hi = Math.max(warnEnd, xs[xs.length - 1] ?? warnEnd) + 86_400;
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: 260,
      scales: { x: { time: true, range: [lo, hi] }, y: { range: [-0.5, KINDS.length - 0.5] } },
      axes: [
        { stroke: '#222' },
        {
          stroke: '#222',
          size: 130,
          splits: () => KINDS.map((_, i) => i),
          values: (_u, splits) => splits.map((v) => KINDS[v] ?? ''),
        },
      ],
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      series: [
        { label: 'expires' },
        ...STATUSES.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          fill: s.fill,
          paths: () => null,
          points: { show: true, size: s.size, width: 2, stroke: s.stroke, fill: s.fill },
        })),
      ],
      hooks: {
        draw: [
          (u: uPlot) => {
            const ctx = u.ctx;
            const line = (t: number, color: string, dash: number[]) => {
              const x = Math.round(u.valToPos(t, 'x', true));
              ctx.save();
              ctx.strokeStyle = color;
              ctx.setLineDash(dash);
              ctx.lineWidth = 2;
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.restore();
            };
            line(now, '#222', []);
            line(warnEnd, '#8a4b00', [6, 4]);
          },
        ],
      },
    };
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 260 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [items, warnDays]);
  return (
    <figure class="chart">
      <div
        ref={host}
        role="img"
        aria-label={`Timeline of ${items.length} expiry dates by kind; the table below lists them`}
        data-testid="expiry-chart"
      />
      <figcaption>Each point is one expiry, by kind. Solid line: now. Dashed line: end of the {warnDays}-day warning window.</figcaption>
    </figure>
  );
}
