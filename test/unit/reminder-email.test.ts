import { renderMessage, type MessageKind, type RenderedMessage } from '../../domain/templates';

// The emails clients and practitioners receive, with the built-in English texts: the same
// facts as the texts (practice, local date and time, location), a subject, a plain-text body
// and an HTML body that reads on a phone.

interface Context {
  practiceName: string;
  clientName: string;
  practitionerName: string | null;
  startsAt: string;
  timeZone: string;
  location: string | null;
}

const context: Context = {
  practiceName: 'Studio Bianchi',
  clientName: 'Maria Rossi',
  practitionerName: 'Dr. Bianchi',
  startsAt: '2026-12-01T08:30:00Z',
  timeZone: 'Europe/Rome',
  location: 'Via Roma 1, Milano',
};

function render(kind: MessageKind, c: Context, channel: 'sms' | 'email', confirmUrl: string | null = null) {
  return renderMessage({
    kind,
    channel,
    locale: 'en-GB',
    templates: {},
    practiceName: c.practiceName,
    helpPhone: null,
    clientName: c.clientName,
    practitionerName: c.practitionerName,
    appointment: { startsAt: c.startsAt, timeZone: c.timeZone, location: c.location },
    confirmUrl,
  });
}

/** An email as the old reminderEmail/cancellationEmail gave it. */
function email(rendered: RenderedMessage) {
  return { subject: rendered.subject!, text: rendered.body, html: rendered.html! };
}

const reminderEmail = (c: Context, recipient: 'client' | 'practitioner', confirmUrl: string | null) =>
  email(render(recipient === 'client' ? 'reminder_client' : 'reminder_practitioner', c, 'email', confirmUrl));
const cancellationEmail = (c: Context) => email(render('cancellation', c, 'email'));
const reminderText = (c: Context) => render('reminder_client', c, 'sms').body;
const cancellationText = (c: Context) => render('cancellation', c, 'sms').body;

const URL = 'https://reminders.example.com/confirm/eyJhIjoxfQ.c2ln';
const WHEN = 'Tue 1 Dec at 09:30';

/** The HTML's text as a reader sees it: tags dropped, entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe('reminder email to the client', () => {
  const email = reminderEmail(context, 'client', URL);

  test('states the practice, the local date and time, and the location, like the SMS', () => {
    expect(reminderText(context)).toContain(WHEN);
    for (const part of [email.subject, email.text, visibleText(email.html)]) {
      expect(part).toContain('Studio Bianchi');
      expect(part).toContain(WHEN);
    }
    expect(email.text).toContain('Via Roma 1, Milano');
    expect(visibleText(email.html)).toContain('Via Roma 1, Milano');
    expect(email.text).toMatch(/^Hi Maria,/);
  });

  test('carries the confirm link: the URL in the text, a button-like link in the HTML', () => {
    expect(email.text).toContain(URL);
    expect(email.html).toMatch(new RegExp(`<a href="${URL.replace(/[.]/g, '\\.')}"[^>]*style="[^"]*background`));
    expect(visibleText(email.html)).toMatch(/Confirm/);
  });

  test('without a link, says nothing about confirming by link', () => {
    const plain = reminderEmail(context, 'client', null);
    expect(plain.text).not.toContain('http');
    expect(plain.html).not.toContain('<a ');
    expect(plain.text).toContain(WHEN);
  });

  test('without a location, leaves the line out', () => {
    const noPlace = reminderEmail({ ...context, location: null }, 'client', URL);
    expect(noPlace.text).not.toMatch(/null|undefined|Where/);
    expect(noPlace.html).not.toMatch(/null|undefined|Where/);
  });

  test('the HTML reads on a phone: viewport, inline styles, no scripts or external resources', () => {
    expect(email.html).toMatch(/^<!DOCTYPE html>/);
    expect(email.html).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1"\s*\/?>/);
    expect(email.html).not.toMatch(/<script|<link|<style|src=/i);
  });
});

describe('reminder email to the practitioner', () => {
  test('names the client and the time, and never carries the confirm link, even if one is passed', () => {
    const email = reminderEmail(context, 'practitioner', URL);
    for (const part of [email.subject, email.text, visibleText(email.html)]) {
      expect(part).toContain('Maria Rossi');
      expect(part).toContain(WHEN);
    }
    expect(email.text).toContain('Studio Bianchi');
    expect(email.text).toContain('Via Roma 1, Milano');
    expect(email.text).not.toContain(URL);
    expect(email.html).not.toContain(URL);
    expect(email.html).not.toContain('<a ');
  });
});

describe('cancellation email', () => {
  test('states the practice and the cancelled date and time, with no link', () => {
    const email = cancellationEmail(context);
    expect(cancellationText(context)).toContain(WHEN);
    for (const part of [email.subject, email.text, visibleText(email.html)]) {
      expect(part).toContain('Studio Bianchi');
      expect(part).toContain(WHEN);
      expect(part).toMatch(/cancelled/i);
    }
    expect(email.html).not.toContain('<a ');
  });
});

describe('escaping', () => {
  const hostile: Context = {
    practiceName: "O'Brien & Sons <b>",
    clientName: '<script>alert(1)</script> Rossi',
    practitionerName: '"Dr" <img src=x onerror=alert(1)>',
    startsAt: context.startsAt,
    timeZone: context.timeZone,
    location: '<iframe src="https://evil.example">',
  };
  const emails = [
    reminderEmail(hostile, 'client', `${URL}?a=1&b="2"`),
    reminderEmail(hostile, 'practitioner', null),
    cancellationEmail(hostile),
  ];

  test.each(emails.map((e, i) => [i, e]))('email %i: every value comes out escaped in the HTML', (_i, email) => {
    expect(email.html).not.toMatch(/<script|<img|<iframe|<b>/);
    expect(email.html).toContain('O&#39;Brien &amp; Sons &lt;b&gt;');
    // The reader still sees the values as they were given.
    expect(visibleText(email.html)).toContain("O'Brien & Sons <b>");
  });

  test('the names reach the HTML escaped and the link attribute cannot be broken out of', () => {
    expect(emails[0].html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(emails[0].html).toContain('&lt;iframe src=&quot;https://evil.example&quot;&gt;');
    expect(emails[0].html).toContain(`href="${URL}?a=1&amp;b=&quot;2&quot;"`);
    expect(emails[1].html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Rossi');
  });

  test('the text and subject stay plain (no HTML entities) and the subject is one line', () => {
    expect(emails[0].text).toContain("O'Brien & Sons <b>");
    const multiLine = reminderEmail({ ...context, practiceName: 'Studio\r\nBcc: x@example.com' }, 'client', URL);
    expect(multiLine.subject).not.toMatch(/[\r\n]/);
  });
});
