/**
 * The master page's live throughput chart (uPlot): tasks per second over the
 * run, in all and by what the workers run in (browser tabs, Node processes).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Samples kept: at 4 per second, about an hour of a run. */
const MAX_POINTS = 14_400;
const HEIGHT_PX = 220;

export interface ThroughputSample {
  /** Seconds since the run started. */
  t: number;
  all: number;
  browser: number;
  node: number;
}

export class ThroughputChart {
  readonly #plot: uPlot;
  readonly #data: [number[], number[], number[], number[]] = [[], [], [], []];
  /** The split by kind (and its legend entries) appears once browsers and Node processes both work. */
  #kindsShown = false;

  constructor(container: HTMLElement) {
    const width = Math.max(container.clientWidth, 300);
    this.#plot = new uPlot(
      {
        width,
        height: HEIGHT_PX,
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        axes: [
          {
            stroke: '#6b7088',
            grid: { stroke: '#eef0f5' },
            ticks: { stroke: '#e3e5ee' },
            values: (_u, ticks) => ticks.map((v) => `${v} s`),
          },
          {
            stroke: '#6b7088',
            grid: { stroke: '#eef0f5' },
            ticks: { stroke: '#e3e5ee' },
            size: 56,
          },
        ],
        series: [
          {},
          {
            label: 'All workers',
            stroke: '#4f46e5',
            width: 2,
            fill: 'rgba(79, 70, 229, 0.12)',
            points: { show: false },
          },
          { label: 'Browser', stroke: '#8b84ff', width: 1.5, dash: [6, 4], points: { show: false }, show: false },
          { label: 'Node', stroke: '#2b9a50', width: 1.5, dash: [6, 4], points: { show: false }, show: false },
        ],
      },
      this.#data,
      container,
    );
    new ResizeObserver(() => {
      const w = Math.max(container.clientWidth, 300);
      if (w !== this.#plot.width) this.#plot.setSize({ width: w, height: HEIGHT_PX });
    }).observe(container);
  }

  push(sample: ThroughputSample): void {
    const [t, all, browser, node] = this.#data;
    t.push(Math.round(sample.t * 100) / 100);
    all.push(sample.all);
    browser.push(sample.browser);
    node.push(sample.node);
    if (t.length > MAX_POINTS) for (const column of this.#data) column.shift();
    // Split by kind only once both kinds have worked: with one kind the lines would coincide.
    if (!this.#kindsShown && sample.browser > 0 && sample.node > 0) {
      this.#kindsShown = true;
      this.#plot.root.classList.add('kinds-shown');
      this.#plot.setSeries(2, { show: true });
      this.#plot.setSeries(3, { show: true });
    }
    this.#plot.setData(this.#data);
  }

  clear(): void {
    for (const column of this.#data) column.length = 0;
    this.#plot.setData(this.#data);
  }
}
