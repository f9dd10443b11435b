// The Charts sheet: the HTML report's three charts as pictures (the xlsx library cannot draw live
// charts), drawn by the headless Chromium the PDF uses. Without a Chromium the sheet says so.
import type { Workbook } from '@cj-tech-master/excelts';
import type { Charts } from '../charts.js';
import { ChromiumError, htmlToPng } from '../chromium.js';
import { STYLE, putValue } from './cells.js';

export interface ChartImage {
  title: string;
  png: Uint8Array;
  width: number;
  height: number;
}

function size(svg: string): { width: number; height: number } {
  const m = svg.match(/<svg [^>]*width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/);
  return { width: Math.ceil(Number(m?.[1] ?? 800)), height: Math.ceil(Number(m?.[2] ?? 320)) };
}

/** The three charts stacked in one PNG (one browser start), or the reason they cannot be drawn here. */
export async function chartImages(charts: Charts): Promise<ChartImage[] | string> {
  const svgs = [charts.cost, charts.savings, charts.scales];
  const sizes = svgs.map(size);
  const width = Math.max(...sizes.map((s) => s.width));
  const height = sizes.reduce((h, s) => h + s.height, 0);
  const html = `<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0;background:#fff">${svgs.map((svg) => `<div style="height:${size(svg).height}px">${svg}</div>`).join('')}</body></html>`;
  try {
    return [
      {
        title: 'Cost per month, saving by technique (1×), and the totals per scale against a straight line from 1×',
        png: await htmlToPng(html, width, height),
        width,
        height,
      },
    ];
  } catch (err) {
    if (err instanceof ChromiumError) return err.message;
    throw err;
  }
}

export function addChartsSheet(wb: Workbook, images: ChartImage[] | string): void {
  const ws = wb.addWorksheet('Charts');
  putValue(ws, 1, 1, 'Charts', { style: STYLE.title });
  if (typeof images === 'string') {
    putValue(ws, 1, 2, `No chart pictures: ${images}. The HTML and PDF reports carry the charts.`, { style: STYLE.note });
    return;
  }
  putValue(ws, 1, 2, "Pictures of the report's charts when the workbook was written: they do not follow changed inputs.", { style: STYLE.note });
  let row = 3;
  for (const image of images) {
    putValue(ws, 1, row, image.title, { style: { font: { bold: true } } });
    const id = wb.addImage({ buffer: Buffer.from(image.png), extension: 'png' });
    ws.addImage(id, { tl: { col: 0, row }, ext: { width: image.width, height: image.height } });
    row += Math.ceil(image.height / 20) + 3;
  }
}
