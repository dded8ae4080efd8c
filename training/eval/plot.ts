import { PNG } from 'pngjs';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, glyph } from './font.js';

/**
 * Minimal line plots drawn pixel by pixel into a PNG (pngjs), enough for the evaluation's
 * figures: axes, ticks with numeric labels, a title, axis labels, several series and a legend.
 */

export type Rgb = readonly [number, number, number];

export interface LineSeries {
  label: string;
  x: readonly number[];
  y: readonly number[];
  color: Rgb;
}

export interface LinePlotSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  width?: number;
  height?: number;
  /** Dashed vertical guide lines, e.g. at x = 0. */
  verticalGuides?: readonly number[];
}

const BLACK: Rgb = [0, 0, 0];
const GRID: Rgb = [225, 225, 225];
const GUIDE: Rgb = [150, 150, 150];
const TEXT_SCALE = 2;

class Canvas {
  readonly png: PNG;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.png = new PNG({ width, height });
    this.png.data.fill(255);
  }

  pixel(x: number, y: number, color: Rgb): void {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    const offset = (py * this.width + px) * 4;
    this.png.data[offset] = color[0];
    this.png.data[offset + 1] = color[1];
    this.png.data[offset + 2] = color[2];
    this.png.data[offset + 3] = 255;
  }

  rect(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let dy = 0; dy < h; dy++) for (let dx = 0; dx < w; dx++) this.pixel(x + dx, y + dy, color);
  }

  /** A straight line `thickness` pixels wide; `dash` > 0 leaves gaps of that many steps. */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1, dash = 0): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const half = Math.floor(thickness / 2);
    for (let i = 0; i <= steps; i++) {
      if (dash > 0 && Math.floor(i / dash) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      this.rect(Math.round(x) - half, Math.round(y) - half, thickness, thickness, color);
    }
  }

  /** Text with its top-left corner at (x, y); `vertical` rotates it to read bottom-to-top from (x, y). */
  text(value: string, x: number, y: number, color: Rgb = BLACK, vertical = false): void {
    [...value].forEach((char, index) => {
      const rows = glyph(char);
      if (!rows) return;
      const advance = index * GLYPH_ADVANCE * TEXT_SCALE;
      rows.forEach((row, r) => {
        row.forEach((ink, c) => {
          if (!ink) return;
          if (vertical)
            this.rect(x + r * TEXT_SCALE, y - advance - c * TEXT_SCALE, TEXT_SCALE, TEXT_SCALE, color);
          else this.rect(x + advance + c * TEXT_SCALE, y + r * TEXT_SCALE, TEXT_SCALE, TEXT_SCALE, color);
        });
      });
    });
  }
}

export function textWidth(value: string): number {
  return value.length * GLYPH_ADVANCE * TEXT_SCALE;
}

/** About `target` round-numbered ticks covering [min, max] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(min: number, max: number, target = 6): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step) * step; tick <= max + step * 1e-9; tick += step) {
    ticks.push(Number(tick.toFixed(12)));
  }
  return ticks;
}

function formatTick(value: number, ticks: readonly number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(decimals);
}

function extent(values: readonly number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let min = Math.min(...finite);
  let max = Math.max(...finite);
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  return [min, max];
}

export function renderLinePlot(spec: LinePlotSpec): Buffer {
  const width = spec.width ?? 800;
  const height = spec.height ?? 500;
  const canvas = new Canvas(width, height);
  const glyphH = GLYPH_HEIGHT * TEXT_SCALE;
  const legendRowH = glyphH + 8;

  const [xMin, xMax] = extent(spec.series.flatMap((s) => s.x));
  const [yDataMin, yDataMax] = extent(spec.series.flatMap((s) => s.y));
  const yPad = (yDataMax - yDataMin) * 0.08;
  const yTicks = niceTicks(yDataMin - yPad, yDataMax + yPad);
  const yMin = Math.min(yDataMin - yPad, yTicks[0]);
  const yMax = Math.max(yDataMax + yPad, yTicks[yTicks.length - 1]);
  const xTicks = niceTicks(xMin, xMax, 8);
  const yTickLabelWidth = Math.max(...yTicks.map((tick) => textWidth(formatTick(tick, yTicks))));
  // Left: y-axis title, gap, tick labels, tick marks. Top: title, then one legend row per series.
  const margin = {
    left: 14 + glyphH + 14 + yTickLabelWidth + 12,
    right: 30,
    top: 16 + glyphH + 14 + spec.series.length * legendRowH + 6,
    bottom: 70,
  };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const toX = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const toY = (y: number) => margin.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;

  for (const tick of yTicks) canvas.line(margin.left, toY(tick), margin.left + plotW, toY(tick), GRID);
  for (const tick of xTicks) canvas.line(toX(tick), margin.top, toX(tick), margin.top + plotH, GRID);
  for (const guide of spec.verticalGuides ?? []) {
    canvas.line(toX(guide), margin.top, toX(guide), margin.top + plotH, GUIDE, 1, 4);
  }

  canvas.line(margin.left, margin.top, margin.left, margin.top + plotH, BLACK, 2);
  canvas.line(margin.left, margin.top + plotH, margin.left + plotW, margin.top + plotH, BLACK, 2);
  for (const tick of yTicks) {
    const y = toY(tick);
    canvas.line(margin.left - 6, y, margin.left, y, BLACK, 2);
    const label = formatTick(tick, yTicks);
    canvas.text(label, margin.left - 10 - textWidth(label), y - glyphH / 2);
  }
  for (const tick of xTicks) {
    const x = toX(tick);
    canvas.line(x, margin.top + plotH, x, margin.top + plotH + 6, BLACK, 2);
    const label = formatTick(tick, xTicks);
    canvas.text(label, x - textWidth(label) / 2, margin.top + plotH + 12);
  }

  for (const series of spec.series) {
    for (let i = 1; i < series.x.length; i++) {
      const [x0, y0, x1, y1] = [series.x[i - 1], series.y[i - 1], series.x[i], series.y[i]];
      if (![x0, y0, x1, y1].every(Number.isFinite)) continue;
      canvas.line(toX(x0), toY(y0), toX(x1), toY(y1), series.color, 2);
    }
  }

  canvas.text(spec.title, (width - textWidth(spec.title)) / 2, 16);
  canvas.text(spec.xLabel, margin.left + (plotW - textWidth(spec.xLabel)) / 2, height - 28);
  canvas.text(spec.yLabel, 14, margin.top + (plotH + textWidth(spec.yLabel)) / 2, BLACK, true);
  spec.series.forEach((series, index) => {
    const y = 16 + glyphH + 14 + index * legendRowH;
    canvas.line(margin.left + 10, y + glyphH / 2, margin.left + 40, y + glyphH / 2, series.color, 3);
    canvas.text(series.label, margin.left + 50, y);
  });

  return PNG.sync.write(canvas.png);
}
