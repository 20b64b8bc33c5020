import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { freePort } from '../../devenv/ports';
import type { AppointmentView } from '../../domain/appointment';
import { confirmLinkUrl } from '../../domain/confirm-token';
import { formatAppointmentTime } from '../../domain/date-format';
import { createLogger } from '../../lib/logger';
import { appointmentRequests } from '../support/appointment-request';
import { eventually, inFuture, useTestSystem } from '../support/system';

// Confirm links (issue 9, item 2) through the real API, worker, Temporal and PostgreSQL: the
// link's GET only shows, its POST confirms with via "email", and every answer is a page.

const system = useTestSystem();
const appointment = appointmentRequests('L');
const HOUR = 3_600_000;

interface Page {
  status: number;
  headers: Headers;
  html: string;
}

async function create(body: Record<string, unknown> = appointment(), apiKey?: string): Promise<AppointmentView> {
  const res = await system().api('POST', '/v1/appointments', body, apiKey ? { apiKey } : {});
  expect(res.status).toBe(201);
  return res.body;
}

function linkFor(
  view: Pick<AppointmentView, 'appointmentId' | 'startsAt'>,
  { practiceId = 'clinic', secret = system().config.linkSigningSecret as string, baseUrl = system().baseUrl } = {},
): string {
  return confirmLinkUrl({
    publicBaseUrl: baseUrl,
    secret,
    practiceId,
    appointmentId: view.appointmentId,
    startsAt: view.startsAt,
  });
}

/** What a browser does: follow the link (GET) or press the form's button (an empty urlencoded POST). */
async function visit(url: string, method: 'GET' | 'POST' | 'HEAD' | 'PUT' = 'GET'): Promise<Page> {
  const form = method === 'POST' || method === 'PUT';
  const res = await fetch(url, {
    method,
    redirect: 'manual',
    ...(form ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' } : {}),
  });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

/** A page a person can read on a phone: HTML, never JSON or a stack trace. */
function expectPage(page: Page, status: number, says: RegExp): void {
  expect([page.status, page.headers.get('content-type')]).toEqual([status, 'text/html; charset=utf-8']);
  expect(page.html).toMatch(/^<!DOCTYPE html>/);
  expect(page.html).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1"\s*\/?>/);
  expect(page.html).toMatch(says);
  expect(page.html).not.toMatch(/Error\b|\bat \S+ \(|\.ts:\d+|"status"|problem/i);
  expect(page.html).not.toMatch(/<script/i);
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.headers.get('referrer-policy')).toBe('no-referrer');
}

async function viewOf(appointmentId: string, apiKey?: string): Promise<AppointmentView> {
  const res = await system().api('GET', `/v1/appointments/${appointmentId}`, undefined, apiKey ? { apiKey } : {});
  expect(res.status).toBe(200);
  return res.body;
}

describe('GET /confirm/:token', () => {
  test('shows the practice, the local date and time and a Confirm button that posts; it never confirms', async () => {
    const view = await create(appointment({ location: 'Via Roma 1' }));
    const link = linkFor(view);
    const page = await visit(link);
    expectPage(page, 200, /Please confirm your appointment/);
    expect(page.html).toContain('Practice clinic');
    expect(page.html).toContain(formatAppointmentTime(view.startsAt, 'Europe/Rome'));
    expect(page.html).toMatch(
      /<form method="post"[^>]*>\s*<button type="submit"[^>]*>Confirm my appointment<\/button>/,
    );
    // Nothing about the client on a page anyone holding the link can open.
    expect(page.html).not.toMatch(/Maria|Rossi|\+39/);

    // Mail scanners and link previews fetch links, some several times.
    for (let i = 0; i < 3; i += 1) expect((await visit(link)).status).toBe(200);
    expect((await visit(link, 'HEAD')).status).toBe(200);
    const after = await viewOf(view.appointmentId);
    expect([after.status, after.confirmation]).toEqual(['scheduled', null]);
  });

  test('escapes every value it shows', async () => {
    const { apiKey } = await system().addPractice('hostile', '+15005550101');
    await system().prisma.practice.update({
      where: { id: 'hostile' },
      data: { name: `<script>alert(1)</script> O'Brien & Sons` },
    });
    const view = await create(appointment(), apiKey);
    const page = await visit(linkFor(view, { practiceId: 'hostile' }));
    expectPage(page, 200, /&lt;script&gt;alert\(1\)&lt;\/script&gt; O&#39;Brien &amp; Sons/);
  });
});

describe('POST /confirm/:token', () => {
  test('confirms with via "email", shows the result, and a second press changes nothing', async () => {
    const view = await create();
    const link = linkFor(view);
    const first = await visit(link, 'POST');
    expectPage(first, 200, /your appointment is confirmed/);
    expect(first.html).toContain(formatAppointmentTime(view.startsAt, 'Europe/Rome'));
    const confirmed = await viewOf(view.appointmentId);
    expect(confirmed.status).toBe('confirmed');
    expect(confirmed.confirmation?.via).toBe('email');
    expect(Date.parse(confirmed.confirmation?.at ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(confirmed.reminders.map((r) => [r.state, r.reason])).toEqual([
      ['skipped', 'confirmed'],
      ['skipped', 'confirmed'],
    ]);

    expectPage(await visit(link, 'POST'), 200, /your appointment is confirmed/);
    expect((await viewOf(view.appointmentId)).confirmation).toEqual(confirmed.confirmation);
    expectPage(await visit(link), 200, /your appointment is confirmed/);
  });

  test('an appointment staff already confirmed shows as confirmed and keeps via "staff"', async () => {
    const view = await create();
    expect((await system().api('POST', `/v1/appointments/${view.appointmentId}/confirm`)).status).toBe(200);
    expectPage(await visit(linkFor(view), 'POST'), 200, /your appointment is confirmed/);
    expect((await viewOf(view.appointmentId)).confirmation?.via).toBe('staff');
  });
});

describe('links that cannot confirm', () => {
  test('a forged or altered token gets the "not valid" page (404) and confirms nothing', async () => {
    const view = await create();
    const link = linkFor(view);
    const [payload, signature] = link.split('/confirm/')[1].split('.');
    const otherPayload = Buffer.from(JSON.stringify(['clinic', 'L-999', Date.parse(view.startsAt) / 1000])).toString(
      'base64url',
    );
    for (const token of ['nonsense', `${payload}.${signature.slice(0, -2)}xx`, `${otherPayload}.${signature}`]) {
      for (const method of ['GET', 'POST'] as const) {
        expectPage(await visit(`${system().baseUrl}/confirm/${token}`, method), 404, /This link is not valid/);
      }
    }
    expect((await viewOf(view.appointmentId)).confirmation).toBeNull();
  });

  test("another practice's appointment in a token signed with a different secret is rejected", async () => {
    const { apiKey } = await system().addPractice('other', '+15005550102');
    const view = await create(appointment(), apiKey);
    const forged = linkFor(view, { practiceId: 'other', secret: 'not-our-secret-but-long-enough-0123456789' });
    expectPage(await visit(forged), 404, /This link is not valid/);
    expectPage(await visit(forged, 'POST'), 404, /This link is not valid/);
    const after = await viewOf(view.appointmentId, apiKey);
    expect([after.status, after.confirmation]).toEqual(['scheduled', null]);
    // The same appointment with our secret is confirmable: the rejection was the signature's.
    expectPage(await visit(linkFor(view, { practiceId: 'other' })), 200, /Please confirm your appointment/);
  });

  test('an expired link (its start has passed) gets 410 and confirms nothing, even for an open appointment', async () => {
    const view = await create();
    const expired = linkFor({
      appointmentId: view.appointmentId,
      startsAt: new Date(Date.now() - 1_000).toISOString(),
    });
    expectPage(await visit(expired), 410, /This link has expired/);
    expectPage(await visit(expired, 'POST'), 410, /This link has expired/);
    expect((await viewOf(view.appointmentId)).confirmation).toBeNull();
  });

  test('a cancelled appointment gets 410 saying so, on GET and POST', async () => {
    const view = await create();
    expect((await system().api('POST', `/v1/appointments/${view.appointmentId}/cancel`, {})).status).toBe(200);
    const link = linkFor(view);
    expectPage(await visit(link), 410, /This appointment has been cancelled/);
    expectPage(await visit(link, 'POST'), 410, /This appointment has been cancelled/);
    const after = await viewOf(view.appointmentId);
    expect([after.status, after.confirmation]).toEqual(['cancelled', null]);
  });

  test('an appointment that has started gets 410 saying so, even through a link that has not expired', async () => {
    const view = await create(appointment({ startsAt: inFuture(4_000) }));
    await eventually(async () => (await viewOf(view.appointmentId)).status === 'unconfirmed', 30_000, 'the end');
    // A link signed for a later start (the appointment was moved earlier since).
    const link = linkFor({ appointmentId: view.appointmentId, startsAt: inFuture(HOUR) });
    expectPage(await visit(link), 410, /This appointment has already started/);
    expectPage(await visit(link, 'POST'), 410, /This appointment has already started/);
    expect((await viewOf(view.appointmentId)).confirmation).toBeNull();
  });

  test('anything else under /confirm is the "not valid" page, never JSON', async () => {
    const { baseUrl } = system();
    expectPage(await visit(`${baseUrl}/confirm`), 404, /This link is not valid/);
    expectPage(await visit(`${baseUrl}/confirm/`), 404, /This link is not valid/);
    expectPage(await visit(`${baseUrl}/confirm/a/b`), 404, /This link is not valid/);
    expectPage(await visit(`${baseUrl}/confirm/%E0%A4%A`), 404, /This link is not valid/);
    expectPage(await visit(`${baseUrl}/confirm/abc.def`, 'PUT'), 404, /This link is not valid/);
  });
});

describe('Temporal unreachable', () => {
  let server: Server;
  let baseUrl: string;
  beforeAll(async () => {
    const temporal = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const app = createApp({
      config: system().config,
      prisma: system().prisma,
      temporal,
      log: createLogger('silent'),
      background: system().background,
    });
    server = await new Promise((resolve) => {
      const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test('GET and POST get a friendly 503 page with Retry-After; the link works once Temporal is back', async () => {
    const view = await create();
    for (const method of ['GET', 'POST'] as const) {
      const page = await visit(linkFor(view, { baseUrl }), method);
      expectPage(page, 503, /Please try again in a moment/);
      expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect((await viewOf(view.appointmentId)).confirmation).toBeNull();
    expectPage(await visit(linkFor(view), 'POST'), 200, /your appointment is confirmed/);
  });
});
