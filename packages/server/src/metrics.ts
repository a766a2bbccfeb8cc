/**
 * Process metrics in the Prometheus text exposition format (version 0.0.4), written by hand
 * so the server needs no metrics dependency. Labels only ever carry route templates, methods,
 * status codes and fixed words: never an id, a token or anything a client sent.
 */

type Labels = Readonly<Record<string, string>>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(names: readonly string[], values: readonly string[], extra = ''): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  if (v === Infinity) return '+Inf';
  return Number.isInteger(v) ? String(v) : v.toPrecision(12).replace(/\.?0+$/, '');
}

/** A metric family that can print itself. */
interface Family {
  render(): string[];
}

const families: Family[] = [];

/** A monotonically increasing count, optionally split by a fixed set of label names. */
export class Counter implements Family {
  readonly #values = new Map<string, { labels: string[]; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {
    families.push(this);
  }

  /** Adds `n` (default 1) to the series named by `labels`. */
  inc(labels: Labels = {}, n = 1): void {
    this.series(labels).value += n;
  }

  /** The series named by `labels`, created at 0: a hot path keeps it and adds to `value`. */
  series(labels: Labels = {}): { value: number } {
    const values = this.labelNames.map((l) => labels[l] ?? '');
    const key = values.join('\u0000');
    let s = this.#values.get(key);
    if (!s) this.#values.set(key, (s = { labels: values, value: 0 }));
    return s;
  }

  /** The current value of one series (tests and the bus instrumentation read it). */
  get(labels: Labels = {}): number {
    return this.#values.get(this.labelNames.map((l) => labels[l] ?? '').join('\u0000'))?.value ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.labelNames.length === 0 && this.#values.size === 0) lines.push(`${this.name} 0`);
    for (const s of this.#values.values())
      lines.push(`${this.name}${labelText(this.labelNames, s.labels)} ${num(s.value)}`);
    return lines;
  }
}

/** A value that goes up and down (open connections), counted or read at scrape time. */
export class Gauge implements Family {
  #value = 0;
  #sources: (() => number)[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
  ) {
    families.push(this);
  }

  /** One more (a connection opened). */
  inc(n = 1): void {
    this.#value += n;
  }

  /** One fewer (a connection closed). */
  dec(n = 1): void {
    this.#value -= n;
  }

  /** Adds a reading taken at scrape time (a component that keeps its own count). */
  collect(source: () => number): void {
    this.#sources.push(source);
  }

  /** The counted value plus every source's reading. */
  get value(): number {
    return this.#sources.reduce((sum, f) => sum + f(), this.#value);
  }

  render(): string[] {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} gauge`,
      `${this.name} ${num(this.value)}`,
    ];
  }
}

/** One labelled series of a histogram: a count per bucket (the last: above them all). */
class HistogramSeries {
  readonly counts: number[];
  sum = 0;

  constructor(
    readonly labels: string[],
    private readonly buckets: readonly number[],
  ) {
    this.counts = new Array<number>(buckets.length + 1).fill(0);
  }

  /** Records one observation. */
  observe(value: number): void {
    let i = 0;
    while (i < this.buckets.length && !(value <= (this.buckets[i] as number))) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
  }
}

/** Observations counted into cumulative buckets, split by a fixed set of label names. */
export class Histogram implements Family {
  readonly #series = new Map<string, HistogramSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
    readonly labelNames: readonly string[] = [],
  ) {
    families.push(this);
  }

  /** Records one observation (seconds, for durations). */
  observe(labels: Labels, value: number): void {
    this.series(labels).observe(value);
  }

  /** The series named by `labels`: a hot path keeps it and calls `observe`. */
  series(labels: Labels): HistogramSeries {
    const values = this.labelNames.map((l) => labels[l] ?? '');
    const key = values.join('\u0000');
    let s = this.#series.get(key);
    if (!s) this.#series.set(key, (s = new HistogramSeries(values, this.buckets)));
    return s;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.#series.values()) {
      let cumulative = 0;
      [...this.buckets, Infinity].forEach((le, i) => {
        cumulative += s.counts[i] ?? 0;
        const l = labelText(this.labelNames, s.labels, `le="${num(le)}"`);
        lines.push(`${this.name}_bucket${l} ${cumulative}`);
      });
      const l = labelText(this.labelNames, s.labels);
      lines.push(`${this.name}_sum${l} ${num(s.sum)}`, `${this.name}_count${l} ${cumulative}`);
    }
    return lines;
  }
}

/** HTTP requests answered, by method, route template (never the raw path) and status. */
export const httpRequests = new Counter('hush_http_requests_total', 'HTTP requests answered', [
  'method',
  'route',
  'status',
]);

/** Time from request start to the last byte of the response, by method and route template. */
export const httpDuration = new Histogram(
  'hush_http_request_duration_seconds',
  'HTTP request duration in seconds (push streams excluded)',
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ['method', 'route'],
);

/**
 * Open Server-Sent Events connections on this process: either counted with
 * `sseConnections.inc()` / `.dec()` as streams open and close, or read at scrape time from
 * a source registered with `sseConnections.collect(fn)` (the push hub's own count) — not both.
 */
export const sseConnections = new Gauge(
  'hush_sse_connections',
  'open Server-Sent Events connections on this process',
);

/** Events held in the push hub's shared replay windows (read at scrape time). */
export const sseWindowEvents = new Gauge(
  'hush_sse_window_events',
  'events held in the shared push windows of this process',
);

/** Event notices this process published to the bus after a commit. */
export const eventsPublished = new Counter(
  'hush_events_published_total',
  'event notices published to the bus by this process',
);

/** Event notices this process received from the bus (its own and other processes'). */
export const eventsReceived = new Counter(
  'hush_events_received_total',
  'event notices received from the bus (from any process)',
);

/** Database failures: `unavailable` (a request failed with 503), `connection` (pool error), `readiness` (probe failed). */
export const dbErrors = new Counter('hush_db_errors_total', 'database failures by kind', ['kind']);
for (const kind of ['unavailable', 'connection', 'readiness']) dbErrors.inc({ kind }, 0);

/** Requests refused by a rate limit, by scope (`device` or `address`). */
export const rateLimited = new Counter(
  'hush_rate_limited_total',
  'requests refused with HUSH_ERR_RATE_LIMITED, by scope',
  ['scope'],
);
for (const scope of ['device', 'address']) rateLimited.inc({ scope }, 0);

/**
 * Chains read from the database and verified link by link, by `chain` (`principal`, `team`):
 * read-cache misses (shared by concurrent requests) and the fresh loads of write transactions.
 */
export const chainLoads = new Counter(
  'hush_chain_loads_total',
  'chains read from the database and verified link by link, by chain kind',
  ['chain'],
);
for (const chain of ['principal', 'team']) chainLoads.inc({ chain }, 0);

/** Requests that failed with HUSH_ERR_INTERNAL (a bug or an unclassified fault). */
export const internalErrors = new Counter(
  'hush_internal_errors_total',
  'requests answered with HUSH_ERR_INTERNAL',
);

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Records one answered request; `route` is the template (`/v1/teams/:id`) or undefined for no match. */
export function observeRequest(
  method: string,
  route: string | undefined,
  status: number,
  seconds: number,
  stream = false,
): void {
  const m = METHODS.has(method) ? method : 'OTHER';
  const r = route ?? 'unmatched';
  // Every request lands here: its series are looked up by the route and method strings
  // themselves (the same objects each time), not by a label key built per request.
  let byMethod = routeSeries.get(r);
  if (!byMethod) routeSeries.set(r, (byMethod = new Map()));
  let rs = byMethod.get(m);
  if (!rs) {
    rs = { duration: httpDuration.series({ method: m, route: r }), byStatus: new Map() };
    byMethod.set(m, rs);
  }
  let count = rs.byStatus.get(status);
  if (!count) {
    count = httpRequests.series({ method: m, route: r, status: String(status) });
    rs.byStatus.set(status, count);
  }
  count.value += 1;
  if (!stream) rs.duration.observe(seconds);
}

interface RouteSeries {
  readonly duration: HistogramSeries;
  readonly byStatus: Map<number, { value: number }>;
}

/** Series of observeRequest, by route and method (bounded: route templates x 8 methods). */
const routeSeries = new Map<string, Map<string, RouteSeries>>();

function processLines(): string[] {
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  const gauge = (name: string, help: string, v: number, type = 'gauge'): string[] => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    `${name} ${num(v)}`,
  ];
  return [
    ...gauge('process_resident_memory_bytes', 'resident memory size in bytes', m.rss),
    ...gauge('nodejs_heap_size_used_bytes', 'V8 heap used in bytes', m.heapUsed),
    ...gauge('nodejs_heap_size_total_bytes', 'V8 heap size in bytes', m.heapTotal),
    ...gauge('nodejs_external_memory_bytes', 'memory of C++ objects bound to JS', m.external),
    ...gauge(
      'process_cpu_seconds_total',
      'user and system CPU time in seconds',
      (cpu.user + cpu.system) / 1e6,
      'counter',
    ),
    ...gauge(
      'process_start_time_seconds',
      'start time of the process since the Unix epoch in seconds',
      Math.round(Date.now() / 1000 - process.uptime()),
    ),
  ];
}

/** The whole exposition: every hush metric, then process memory and CPU. */
export function renderMetrics(): string {
  return [...families.flatMap((f) => f.render()), ...processLines()].join('\n') + '\n';
}

/** The content type of {@link renderMetrics} output. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
