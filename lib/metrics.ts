import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

// Every product metric, in one place: its name, its help and its labels. Label values come
// only from closed sets (channels, purposes, the product's reason codes, route templates,
// status codes): never an id, a phone number or an address, so the series stay few and the
// metrics carry no personal data. Each fact is counted once, where it becomes true:
//   planned, skipped, failed for want of a gateway, confirmed: the appointment workflow's
//     journal, through a workflow sink that is not called during replay (activities/workflow-metrics.ts);
//   sent, refused: the send activity, when the message row gets its provider id or its refusal;
//   delivered, undelivered: the first delivery report that settles a message (services/delivery-status.ts);
//   opt-outs and opt-ins: the inbound SMS that changes the number's opt-out (services/inbound-sms.ts);
//   signature failures: the webhook routes; HTTP requests: api/metrics.ts.

/** The label for a request that no route matched (404s, and requests refused before their route: 401, 415). */
export const UNMATCHED_ROUTE = '(unmatched)';

/** Where the Temporal SDK's own metrics are read from, when this process runs a worker. */
export interface TemporalCoreMetrics {
  /** `host:port` for Runtime.install's Prometheus exporter. */
  bindAddress: string;
  /** Its scrape URL, read on each scrape of this process's /metrics. */
  url: string;
}

export class ProductMetrics {
  /** This process's registry: product metrics and Node's process metrics (CPU, memory, event loop). */
  readonly registry = new Registry();

  private readonly httpRequests = new Counter({
    name: 'reminders_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'reminders_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to finishing its answer, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly planned = new Counter({
    name: 'reminders_planned_total',
    help: 'Reminders planned by appointment workflows (trigger: schedule = the plan, staff = a manual reminder), by channel and recipient.',
    labelNames: ['channel', 'recipient', 'trigger'] as const,
    registers: [this.registry],
  });
  private readonly skipped = new Counter({
    name: 'reminders_skipped_total',
    help: 'Reminders that ended without being sent, by channel, recipient and reason (no_consent, opted_out, confirmed, disabled, quiet_hours_passed, too_late, credit_exhausted, past_due, …).',
    labelNames: ['channel', 'recipient', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly sent = new Counter({
    name: 'reminders_messages_sent_total',
    help: 'Outbound messages the provider accepted, by channel and purpose (reminder, fallback, cancellation, custom); each message once, whatever its retries.',
    labelNames: ['channel', 'purpose'] as const,
    registers: [this.registry],
  });
  private readonly delivered = new Counter({
    name: 'reminders_messages_delivered_total',
    help: "Outbound messages the provider reported delivered, by channel and purpose; each message once, whatever the provider's repeats.",
    labelNames: ['channel', 'purpose'] as const,
    registers: [this.registry],
  });
  private readonly failed = new Counter({
    name: 'reminders_messages_failed_total',
    help: 'Outbound messages that failed for good, by channel, purpose and reason: refused at send (invalid_number, not_mobile, unsubscribed, rejected, outcome_unknown), reported undelivered (undelivered), or never answered by the gateway before the appointment (gateway_unavailable).',
    labelNames: ['channel', 'purpose', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly confirmations = new Counter({
    name: 'reminders_confirmations_total',
    help: 'Appointments confirmed, by how: sms (a "C" reply), email (the confirm link) or staff (the API).',
    labelNames: ['via'] as const,
    registers: [this.registry],
  });
  private readonly optOuts = new Counter({
    name: 'reminders_opt_outs_total',
    help: "Phone numbers that opted out of a practice's texts (STOP and the other opt-out keywords); a repeated STOP is not counted again.",
    registers: [this.registry],
  });
  private readonly optIns = new Counter({
    name: 'reminders_opt_ins_total',
    help: 'Opted-out phone numbers that opted back in (START, UNSTOP, YES).',
    registers: [this.registry],
  });
  private readonly signatureFailures = new Counter({
    name: 'reminders_webhook_signature_failures_total',
    help: 'Webhook requests refused for a missing or invalid signature, by provider (twilio, sendgrid).',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  /** `temporalCore`: in a process that runs a worker, adds the Temporal SDK's worker metrics to every exposition. */
  constructor(private readonly options: { temporalCore?: TemporalCoreMetrics } = {}) {
    collectDefaultMetrics({ register: this.registry });
  }

  httpRequest(labels: { method: string; route: string; status: number }, seconds: number): void {
    const values = { method: labels.method, route: labels.route, status: String(labels.status) };
    this.httpRequests.inc(values);
    this.httpDuration.observe(values, seconds);
  }

  reminderPlanned(labels: { channel: string; recipient: string; trigger: 'schedule' | 'staff' }): void {
    this.planned.inc(labels);
  }

  reminderSkipped(labels: { channel: string; recipient: string; reason: string }): void {
    this.skipped.inc(labels);
  }

  messageSent(labels: { channel: string; purpose: string }): void {
    this.sent.inc(labels);
  }

  messageDelivered(labels: { channel: string; purpose: string }): void {
    this.delivered.inc(labels);
  }

  messageFailed(labels: { channel: string; purpose: string; reason: string }): void {
    this.failed.inc(labels);
  }

  confirmed(via: string): void {
    this.confirmations.inc({ via });
  }

  optedOut(): void {
    this.optOuts.inc();
  }

  optedIn(): void {
    this.optIns.inc();
  }

  webhookSignatureFailed(provider: 'twilio' | 'sendgrid'): void {
    this.signatureFailures.inc({ provider });
  }

  /**
   * What GET /metrics answers: this registry, then the Temporal SDK's metrics when this
   * process runs a worker. The SDK's exporter is read on each scrape, so one target per
   * process carries both; should it not answer, the product metrics are still served, with a
   * comment saying why the SDK's are missing.
   */
  async exposition(): Promise<{ contentType: string; body: string }> {
    const own = await this.registry.metrics();
    const { temporalCore } = this.options;
    if (!temporalCore) return { contentType: this.registry.contentType, body: own };
    let core: string;
    try {
      const response = await fetch(temporalCore.url, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      core = await response.text();
    } catch (err) {
      core = `# Temporal SDK metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`;
    }
    return { contentType: this.registry.contentType, body: `${own}${own.endsWith('\n') ? '' : '\n'}${core}` };
  }
}

/**
 * A loopback address for the Temporal SDK's Prometheus exporter. The SDK binds what it is
 * given and does not report a port it chose, so a free port is taken from the OS here; the
 * exporter is private to the process (its /metrics reads it), hence loopback only.
 */
export async function temporalCoreMetricsAddress(): Promise<TemporalCoreMetrics> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  return { bindAddress: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}/metrics` };
}
