/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (installed by the set-up), driven by playwright-core; no browser download. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}; \`npm test\` installs Debian's chromium package`);
  }
  return chromium.launch({
    executablePath,
    headless: true,
    // The machine has no internet: without these Chromium keeps trying to reach Google's hosts.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface RenderedChart {
  id: string;
  width: number;
  height: number;
  points: number;
  limitLines: number;
  screenshotBytes: number;
  distinctColors: number;
}

/** Opens a report page and measures each chart as the browser drew it, with a screenshot of each. */
export async function inspectReportCharts(browser: Browser, file: string): Promise<RenderedChart[]> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await page.goto(`file://${file}`);
    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        return {
          id: svg.id,
          width: box.width,
          height: box.height,
          points: svg.querySelectorAll('circle.point').length,
          limitLines: svg.querySelectorAll('line.limit').length,
        };
      }),
    );
    const rendered: RenderedChart[] = [];
    for (const chart of charts) {
      const png = await page.locator(`svg#${chart.id}`).screenshot();
      rendered.push({ ...chart, screenshotBytes: png.length, distinctColors: await countColors(browser, png) });
    }
    return rendered;
  } finally {
    await page.close();
  }
}

/** Decodes the PNG in the browser itself and counts distinct colours: a blank chart has one or two. */
async function countColors(browser: Browser, png: Buffer): Promise<number> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async (base64) => {
      const image = new Image();
      image.src = `data:image/png;base64,${base64}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d')!;
      context.drawImage(image, 0, 0);
      const data = context.getImageData(0, 0, image.width, image.height).data;
      const colors = new Set<number>();
      for (let i = 0; i < data.length; i += 4) colors.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return colors.size;
    }, png.toString('base64'));
  } finally {
    await page.close();
  }
}
