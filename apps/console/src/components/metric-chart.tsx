import type { MetricSeries } from '../api/api-types.js';
import { formatAxisTime } from '../format.js';

const WIDTH = 720;
const HEIGHT = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

/**
 * One series as an inline SVG line (with the min–max band of rollups), drawn from the points alone:
 * no chart library, and nothing the CSP would refuse (attributes only, no inline style).
 */
export function MetricChart({ series, from, to, label }: { series: MetricSeries; from: Date; to: Date; label: string }) {
  const points = series.points;
  const percent = series.unit === 'percent';
  const highest = Math.max(...points.map((p) => p.max ?? p.value), percent ? 100 : 0);
  const top = percent ? 100 : niceCeiling(highest);
  const span = Math.max(1, to.getTime() - from.getTime());
  const x = (time: string) => PAD.left + ((new Date(time).getTime() - from.getTime()) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (value: number) => PAD.top + (1 - value / top) * (HEIGHT - PAD.top - PAD.bottom);
  const line = points.map((p) => `${x(p.timestamp).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const banded = points.filter((p) => p.min !== undefined && p.max !== undefined);
  const band =
    banded.length > 1
      ? [...banded.map((p) => `${x(p.timestamp).toFixed(1)},${y(p.max!).toFixed(1)}`), ...banded.reverse().map((p) => `${x(p.timestamp).toFixed(1)},${y(p.min!).toFixed(1)}`)].join(' ')
      : null;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  const timeTicks = [0, 0.5, 1].map((f) => new Date(from.getTime() + f * span));
  const unit = percent ? '%' : ` ${series.unit}`;
  return (
    <svg class="metric-chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${label}: ${points.length} points`} data-points={points.length}>
      {ticks.map((value) => (
        <g key={value}>
          <line class="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(value)} y2={y(value)} />
          <text class="axis" x={PAD.left - 6} y={y(value) + 4} text-anchor="end">
            {Math.round(value)}
            {value === top ? unit : ''}
          </text>
        </g>
      ))}
      {timeTicks.map((time, i) => (
        <text key={i} class="axis" x={PAD.left + (i / 2) * (WIDTH - PAD.left - PAD.right)} y={HEIGHT - 8} text-anchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}>
          {formatAxisTime(time, span)}
        </text>
      ))}
      {band && <polygon class="band" points={band} />}
      {points.length === 1 ? <circle class="line-point" cx={x(points[0].timestamp)} cy={y(points[0].value)} r="3" /> : <polyline class="line" points={line} />}
    </svg>
  );
}

function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((n) => n >= value) ?? 10 * magnitude;
}
