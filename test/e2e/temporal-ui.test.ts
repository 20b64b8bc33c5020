import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../config';
import { ensureDebianPackage } from '../../devenv/debian-package';
import { freePort } from '../../devenv/ports';
import { findExecutable, resolveTemporalCli } from '../../devenv/temporal-cli';
import { startTemporalDevServer, type RunningDevServer } from '../../devenv/temporal-dev-server';
import { temporalUiListUrl } from '../../lib/temporal-ui';
import type { AppointmentViewWithLink } from '../../services/appointments';
import { APPOINTMENT_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { eventually, inFuture, useTestSystem } from '../support/system';

// Staff read appointments in the Temporal Web UI: this opens it in a real browser (Debian's
// Chromium through playwright-core) on a dev server of its own, with its UI, and checks that
// an appointment's page tells its story: the summary, the summaries of its timers and of the
// reminder's send, and the current details; the screenshots are kept under test-artifacts/.

const ROOT = path.resolve(__dirname, '..', '..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'temporal-ui');
const CLIENT_PHONE = '+393471234567';
const CLIENT_EMAIL = 'maria.rossi@example.com';

// `npm test` installs Debian's chromium before the tests when it can (devenv/provision-tools.ts).
const installed = findExecutable('chromium');
const inCi = process.env.CI === 'true';
if (!installed && !inCi) {
  console.warn(
    'SKIPPED test/e2e/temporal-ui.test.ts: no Chromium, and none could be installed here ' +
      '(`npm test` installs the Debian package chromium when it runs as root; else `apt-get install chromium`).',
  );
}
const uiTest = installed || inCi ? test : test.skip;

let server: RunningDevServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!installed && !inCi) return;
  const executablePath =
    installed ?? (await ensureDebianPackage({ pkg: 'chromium', command: 'chromium', log: console.log }));
  if (!executablePath) throw new Error('CI=true and Chromium could not be installed: the Temporal UI test cannot run.');
  const cliPath = await resolveTemporalCli({
    projectRoot: ROOT,
    configuredPath: loadConfig().temporal.cliPath,
    log: () => {},
  });
  [server, browser] = await Promise.all([
    startTemporalDevServer({
      cliPath,
      port: await freePort(),
      uiPort: await freePort(),
      dbFile: null,
      namespace: 'default',
      searchAttributes: APPOINTMENT_SEARCH_ATTRIBUTES,
      log: () => {},
    }),
    chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    }),
  ]);
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const system = useTestSystem({
  temporal: () => {
    if (!server) throw new Error('the Temporal dev server with its UI did not start');
    return { address: server.address, uiUrl: server.uiUrl };
  },
});

async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  writeFileSync(path.join(ARTIFACTS, `${name}.txt`), await page.locator('body').innerText());
  return file;
}

uiTest(
  "an appointment's page in the Temporal UI shows its summary, its timers' and send's summaries and where it stands",
  async () => {
    const created = await system().api<AppointmentViewWithLink>('POST', '/v1/appointments', {
      appointmentId: 'UI-1',
      startsAt: inFuture(60 * 60_000),
      timeZone: 'Europe/Rome',
      client: { name: 'Maria Rossi', phone: CLIENT_PHONE, email: CLIENT_EMAIL, smsConsent: true },
      // The first is due in three seconds; the second keeps the workflow waiting.
      reminders: [
        { before: 'PT59M57S', channel: 'sms' },
        { before: 'PT30M', channel: 'sms' },
      ],
    });
    expect(created.status).toBe(201);
    await system().twilio.waitForMessages((m) => m.to === CLIENT_PHONE, 1, 30_000);
    const view = await eventually(
      async () => {
        const current = (await system().api<AppointmentViewWithLink>('GET', '/v1/appointments/UI-1')).body;
        return current.status === 'awaiting_confirmation' && current;
      },
      15_000,
      'awaiting_confirmation',
    );
    const ui = server!.uiUrl!;
    expect(view.temporalUiUrl).toBe(
      `${ui}/namespaces/default/workflows/${encodeURIComponent('appointment/clinic/UI-1')}`,
    );

    const page = await browser!.newPage({ viewport: { width: 1440, height: 1000 } });
    try {
      // Staff find it by its id (or list by status), as the README says; a reminded appointment
      // still lists as `scheduled` there (no upsert is paid for progress).
      await page.goto(temporalUiListUrl(ui, 'default', 'AppointmentId = "UI-1" AND AppointmentStatus = "scheduled"'));
      await page.getByText('appointment/clinic/UI-1').first().waitFor({ timeout: 30_000 });
      console.log(`Temporal UI screenshots: ${await screenshot(page, 'list')}`);

      // The view's link opens the workflow; its timeline names every timer and activity.
      await page.goto(view.temporalUiUrl!);
      const timeline = page.getByText('sendSms • reminder r1: 59 minutes 57 seconds before, SMS to client');
      await timeline.first().waitFor({ timeout: 30_000 });
      await page.getByText('reminder r2: 30 minutes before, SMS to client, due').first().waitFor();
      await screenshot(page, 'workflow-history');

      await page.getByText('User Metadata').first().click();
      // The UI renders summaries and details (markdown) in frames of their own.
      const text = await eventually(
        async () => {
          const all = await Promise.all(
            page.frames().map((frame) =>
              frame
                .locator('body')
                .innerText()
                .catch(() => ''),
            ),
          );
          const joined = all.join('\n');
          return joined.includes('Next:') && joined;
        },
        15_000,
        'the current details',
      );
      await screenshot(page, 'workflow-user-metadata');
      expect(text).toMatch(
        /Practice clinic · UI-1 · \w{3} \d{1,2} \w{3} at \d\d:\d\d \(Europe\/Rome\) · client M\. R\./,
      );
      expect(text).toContain('Status: awaiting_confirmation, starts');
      expect(text).toContain('Next: reminder r2: 30 minutes before, SMS to client');
      expect(text).toContain('Last outcome: reminder r1: 59 minutes 57 seconds before, SMS to client: sent');
      // The send wrote the new status with its message: no recording activity of its own.
      expect(text).not.toContain('recording status');
      for (const personal of [CLIENT_PHONE, CLIENT_EMAIL, 'Maria', 'Rossi']) expect(text).not.toContain(personal);
    } finally {
      await page.close();
    }
  },
);
