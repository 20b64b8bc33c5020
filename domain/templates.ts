import { z } from 'zod';
import { html, Markup } from '../lib/html';
import type { Channel } from './appointment';
import { formatDate, formatTime, localeInfo } from './date-format';
import { textField } from './fields';
import { countSegments } from './segments';
import { BUILT_IN, PHRASES, type Phrases, type TemplateVariant } from './template-texts';

// The texts clients and practitioners receive, per message kind, variant and language. A
// practice may override any of them; built-in defaults exist in English and Italian
// (domain/template-texts.ts).
//
// Keys are `<kind>.<variant>` or `<kind>.<variant>.<language>` (the BCP 47 primary subtag,
// e.g. `it`). A message in language L uses, first found: the practice's `<kind>.<variant>.L`,
// the practice's `<kind>.<variant>`, the built-in text in L, the built-in English text. A
// language without built-in texts still gets its own date and time format.
//
// Empty values: a variable with no value (no location, no help phone) renders as nothing. A
// sentence (or line) whose variables all come out empty is left out, so "Where: {{location}}"
// or "For help call {{helpPhone}}." disappear without a location or a phone; elsewhere the
// text around an empty value is tidied: no double space, no space before punctuation, no
// comma left before a full stop.

export type { TemplateVariant };

export const MESSAGE_KINDS = [
  'reminder_client',
  'reminder_practitioner',
  'cancellation',
  'confirmation_ack',
  'help',
  'opt_out',
  'opt_in',
] as const;

export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const TEMPLATE_VARIANTS: readonly TemplateVariant[] = ['sms', 'email', 'email_subject'];

export const TEMPLATE_VARIABLES = [
  'clientName',
  'clientFirstName',
  'practiceName',
  'practitionerName',
  'date',
  'time',
  'location',
  'confirmUrl',
  'replyInstructions',
  'helpPhone',
] as const;

export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/** Languages with built-in texts; any other language reads the English ones. */
export const TEMPLATE_LANGUAGES = Object.keys(BUILT_IN) as Array<keyof typeof BUILT_IN>;

/** What a practice stores: { "<kind>.<sms|email|email_subject>[.<language>]": text }. */
export type Templates = Record<string, string>;

export interface RenderRequest {
  kind: MessageKind;
  channel: Channel;
  /** The client's locale, else the practice's (BCP 47). */
  locale: string;
  /** The practice's own templates (validated when saved). */
  templates: Templates;
  practiceName: string;
  helpPhone: string | null;
  clientName: string | null;
  practitionerName: string | null;
  /** Absent for messages about no appointment (HELP, opt-out answers). */
  appointment: { startsAt: string; timeZone: string; location: string | null } | null;
  /** Email reminders to the client: the confirm link. */
  confirmUrl: string | null;
  /**
   * The number a client texts C or STOP to, when it is not the sender they see: an SMS sent
   * under the practice's name (domain/sender.ts), or an email. {{replyInstructions}} then
   * says "Text C to <number>…"; absent or null, it says "Reply C…".
   */
  replyNumber?: string | null;
}

export interface RenderedMessage {
  body: string;
  /** Email only. */
  subject: string | null;
  html: string | null;
}

const LIMITS: Record<TemplateVariant, number> = {
  // Twilio refuses longer bodies (error 21617).
  sms: 1600,
  email: 5000,
  email_subject: 200,
};

/**
 * The confirm link exists only in the client's reminder email: a practitioner must never be
 * able to confirm the client's appointment, and a link in a text or a subject is refused.
 */
const CONFIRM_LINK_KEY = 'reminder_client.email';

const KEY = /^([a-z_]+)\.([a-z_]+)(?:\.([^.]*))?$/;
const LANGUAGE = /^[a-z]{2,3}$/;
const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

type Values = Record<TemplateVariable, string>;

function isKind(value: string): value is MessageKind {
  return (MESSAGE_KINDS as readonly string[]).includes(value);
}

function isVariant(value: string): value is TemplateVariant {
  return (TEMPLATE_VARIANTS as readonly string[]).includes(value);
}

function isVariable(value: string): value is TemplateVariable {
  return (TEMPLATE_VARIABLES as readonly string[]).includes(value);
}

function builtInLanguage(language: string): keyof typeof BUILT_IN {
  return language in BUILT_IN ? (language as keyof typeof BUILT_IN) : 'en';
}

/** A key's parts, or null when it is not `<kind>.<variant>[.<language>]`. */
function parseTemplateKey(
  key: string,
): { kind: MessageKind; variant: TemplateVariant; language: string | null } | null {
  const match = KEY.exec(key);
  if (!match) return null;
  const [, kind, variant, language] = match;
  if (!isKind(kind) || !isVariant(variant)) return null;
  if (language !== undefined && !LANGUAGE.test(language)) return null;
  return { kind, variant, language: language ?? null };
}

/** The text for a kind and variant in a language, by the lookup order above. */
function templateFor(templates: Templates, kind: MessageKind, variant: TemplateVariant, language: string) {
  return (
    templates[`${kind}.${variant}.${language}`] ??
    templates[`${kind}.${variant}`] ??
    BUILT_IN[builtInLanguage(language)][kind][variant]
  );
}

export function renderMessage(request: RenderRequest): RenderedMessage {
  const { tag, language } = localeInfo(request.locale);
  const phrases = PHRASES[builtInLanguage(language)];
  const values = valuesOf(request, tag, phrases);
  const template = (variant: TemplateVariant) => templateFor(request.templates, request.kind, variant, language);
  if (request.channel === 'sms') {
    return { body: asText(fill(template('sms'), values)), subject: null, html: null };
  }
  const subject = oneLine(asText(fill(template('email_subject'), values)));
  const body = fill(template('email'), values);
  return {
    body: `${asText(body)}\n`,
    subject,
    html: asHtml(body, { title: subject, language: localeInfo(tag).language, phrases }),
  };
}

function valuesOf(request: RenderRequest, tag: string, phrases: Phrases): Values {
  const { appointment } = request;
  const clientName = request.clientName?.trim() ?? '';
  return {
    clientName,
    clientFirstName: clientName.split(/\s+/)[0] ?? '',
    practiceName: request.practiceName.trim(),
    practitionerName: request.practitionerName?.trim() ?? '',
    date: appointment ? formatDate(appointment.startsAt, appointment.timeZone, tag) : '',
    time: appointment ? formatTime(appointment.startsAt, appointment.timeZone, tag) : '',
    location: appointment?.location?.trim() ?? '',
    confirmUrl: `${request.kind}.${request.channel}` === CONFIRM_LINK_KEY ? (request.confirmUrl ?? '') : '',
    replyInstructions: request.replyNumber ? phrases.textNumber(request.replyNumber) : phrases.reply,
    helpPhone: request.helpPhone ?? '',
  };
}

// Rendering in two steps: `fill` resolves a template into lines of literal text and variable
// values (sentences dropped, empties tidied), and `asText` / `asHtml` print them.

type Piece = { text: string } | { variable: TemplateVariable; value: string };
type Line = Piece[];

function fill(template: string, values: Values): Line[] {
  const lines: Line[] = [];
  for (const line of template.replace(/\r\n?/g, '\n').split('\n')) {
    // A line with no text stays: it separates paragraphs.
    if (line.trim() === '') {
      lines.push([]);
      continue;
    }
    const sentences = line
      .split(/(?<=[.!?])(?=\s)/)
      .map((sentence) => fillSentence(sentence, values))
      .filter((pieces): pieces is Piece[] => pieces !== null);
    const pieces = sentences.flat();
    const [first, last] = [pieces[0], pieces[pieces.length - 1]];
    if (last && 'text' in last) last.text = last.text.trimEnd();
    if (first && 'text' in first) first.text = first.text.trimStart();
    const visible = pieces.filter((piece) => !('text' in piece) || piece.text !== '');
    if (visible.length > 0) lines.push(visible);
  }
  // Dropped lines can leave paragraph breaks next to each other, or at the ends.
  const kept = lines.filter((line, i) => line.length > 0 || (i > 0 && lines[i - 1].length > 0));
  while (kept.length > 0 && kept[0].length === 0) kept.shift();
  while (kept.length > 0 && kept[kept.length - 1].length === 0) kept.pop();
  return kept;
}

/** A sentence's pieces, or null when it has variables and every one of them is empty. */
function fillSentence(sentence: string, values: Values): Piece[] | null {
  const pieces: Piece[] = [];
  let variables = 0;
  let filled = 0;
  let pending = '';
  let touched = false;
  let at = 0;
  const flush = (last: boolean) => {
    let text = touched ? tidy(pending, pieces.length === 0) : pending;
    // An empty value at the end leaves no separator behind it ("…at 09:30, {{location}}").
    if (touched && last) text = text.replace(/[ \t]*[,;:]?[ \t]*$/, '');
    if (text !== '') pieces.push({ text });
    pending = '';
    touched = false;
  };
  for (const match of sentence.matchAll(VARIABLE)) {
    pending += sentence.slice(at, match.index);
    at = match.index + match[0].length;
    variables += 1;
    const name = match[1];
    const value = isVariable(name) ? values[name] : '';
    if (value === '') {
      touched = true;
      continue;
    }
    filled += 1;
    flush(false);
    pieces.push({ variable: name as TemplateVariable, value });
  }
  pending += sentence.slice(at);
  flush(true);
  if (variables > 0 && filled === 0) return null;
  return pieces;
}

/** Literal text from around an empty value: what the value leaves behind, tidied. */
function tidy(text: string, first: boolean): string {
  let out = text
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/\(\s*\)/g, '')
    .replace(/[ \t]+(?=[,.;:!?)])/g, '')
    .replace(/[,;:](?=[,.;:!?])/g, '')
    .replace(/[ \t]{2,}/g, ' ');
  if (first) out = out.replace(/^(\s*)[,;:][ \t]*/, '$1');
  return out;
}

function asText(lines: Line[]): string {
  return lines.map((line) => line.map((piece) => ('text' in piece ? piece.text : piece.value)).join('')).join('\n');
}

/** A subject is one header line whatever the names contain. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

// The HTML part of an email: the same text in paragraphs that read on a phone (one column,
// inline styles, nothing external), every value escaped, the date and time in bold, and the
// confirm link as a button.

const FONT = 'font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1f2933';
const BUTTON =
  'display:inline-block;padding:12px 24px;background:#1a56db;color:#ffffff;font-weight:bold;' +
  'text-decoration:none;border-radius:6px';
const SMALL = 'font-size:13px;color:#616e7c';

function asHtml(lines: Line[], page: { title: string; language: string; phrases: Phrases }): string {
  const paragraphs: Line[][] = [[]];
  for (const line of lines) {
    if (line.length === 0) paragraphs.push([]);
    else paragraphs[paragraphs.length - 1].push(line);
  }
  const blocks = paragraphs.filter((paragraph) => paragraph.length > 0).map((p) => paragraphHtml(p, page.phrases));
  return html`<!DOCTYPE html>
    <html lang="${page.language}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${page.title}</title>
      </head>
      <body style="margin:0;padding:0;background:#f5f7fa">
        <div style="max-width:480px;margin:0 auto;padding:24px 16px;background:#ffffff;${FONT}">${blocks}</div>
      </body>
    </html> `.html;
}

/** One paragraph; a confirm link in it ends the text before it and becomes a button. */
function paragraphHtml(lines: Line[], phrases: Phrases): Markup {
  const blocks: Markup[] = [];
  let inline: Markup[] = [];
  const closeParagraph = () => {
    if (inline.length > 0) blocks.push(html`<p>${inline}</p>`);
    inline = [];
  };
  lines.forEach((line, i) => {
    if (i > 0 && inline.length > 0) inline.push(html`<br />`);
    line.forEach((piece, j) => {
      const next = line[j + 1];
      // The text that leads to the button ends where the button starts.
      if ('text' in piece)
        inline.push(
          html`${next && 'variable' in next && next.variable === 'confirmUrl' ? piece.text.trimEnd() : piece.text}`,
        );
      else if (piece.variable === 'confirmUrl') {
        closeParagraph();
        blocks.push(
          html`<p style="margin:24px 0"><a href="${piece.value}" style="${BUTTON}">${phrases.confirmButton}</a></p>
            <p style="${SMALL}">${phrases.buttonFallback} ${piece.value}</p>`,
        );
      } else if (piece.variable === 'date' || piece.variable === 'time')
        inline.push(html`<strong>${piece.value}</strong>`);
      else inline.push(html`${piece.value}`);
    });
  });
  closeParagraph();
  return html`${blocks}`;
}

// Checking a practice's templates when they are saved.

const VARIABLE_LIST = TEMPLATE_VARIABLES.map((name) => `{{${name}}}`).join(', ');

/** What is wrong with one template, in words naming the key or the variable; empty when nothing is. */
function templateProblems(key: string, text: string): string[] {
  const parsed = parseTemplateKey(key);
  if (!parsed) {
    return [
      `unknown template "${key}": a key is <kind>.<variant> or <kind>.<variant>.<language>, with kind one of ` +
        `${MESSAGE_KINDS.join(', ')}; variant one of ${TEMPLATE_VARIANTS.join(', ')}; ` +
        'language a lower-case BCP 47 language such as en or it',
    ];
  }
  const textCheck = textField(LIMITS[parsed.variant]).safeParse(text);
  if (!textCheck.success) return textCheck.error.issues.map((issue) => issue.message);

  const problems: string[] = [];
  const names = [...text.matchAll(VARIABLE)].map((match) => match[1]);
  const unknown = [...new Set(names.filter((name) => !isVariable(name)))];
  if (unknown.length > 0) {
    const listed = unknown.map((name) => `{{${name}}}`).join(', ');
    problems.push(`unknown variable${unknown.length > 1 ? 's' : ''} ${listed}; the variables are ${VARIABLE_LIST}`);
  }
  if (names.includes('confirmUrl') && `${parsed.kind}.${parsed.variant}` !== CONFIRM_LINK_KEY) {
    problems.push(`{{confirmUrl}} is only available in ${CONFIRM_LINK_KEY} (the client's reminder email)`);
  }
  if (/\{\{|\}\}/.test(text.replace(VARIABLE, ''))) {
    problems.push('has a "{{" without its "}}" (or the reverse); a variable is written {{name}}');
  }
  return problems;
}

const MAX_TEMPLATES = 200;

/** Refuses unknown keys and unknown variables, naming each. */
export const templatesSchema = z.record(z.string(), z.string()).superRefine((templates, ctx) => {
  const keys = Object.keys(templates);
  if (keys.length > MAX_TEMPLATES) {
    ctx.addIssue({ code: 'custom', message: `at most ${MAX_TEMPLATES} templates`, path: [] });
  }
  for (const key of keys) {
    for (const message of templateProblems(key, templates[key])) ctx.addIssue({ code: 'custom', message, path: [key] });
  }
});

/** Sample values a saved template is measured with; the practice's own where it has them. */
export interface SampleContext {
  practiceName?: string;
  helpPhone?: string | null;
  /** The practice's locale: the date format of templates saved without a language. */
  locale?: string;
}

const SAMPLE_START = '2026-12-01T09:30:00+01:00';

/**
 * Warnings a saved set of templates deserves: a rendering over one segment or forcing UCS-2,
 * with its segment count (measured with realistic sample values), and a client reminder
 * email with no confirm link.
 */
export function templateWarnings(templates: Templates, sample: SampleContext = {}): string[] {
  const warnings: string[] = [];
  for (const [key, text] of Object.entries(templates)) {
    const parsed = parseTemplateKey(key);
    if (!parsed) continue;
    if (parsed.variant === 'email' && parsed.kind === 'reminder_client' && !/\{\{\s*confirmUrl\s*\}\}/.test(text)) {
      warnings.push(`${key}: has no {{confirmUrl}}, so clients cannot confirm from the email`);
    }
    if (parsed.variant !== 'sms') continue;
    const locale = parsed.language ?? sample.locale ?? 'en';
    const { tag, language } = localeInfo(locale);
    const values = valuesOf(
      {
        kind: parsed.kind,
        channel: 'sms',
        locale: tag,
        templates: {},
        practiceName: sample.practiceName ?? 'Studio Bianchi',
        helpPhone: sample.helpPhone ?? '+390212345678',
        clientName: 'Maria Rossi',
        practitionerName: 'Dr. Bianchi',
        appointment: { startsAt: SAMPLE_START, timeZone: 'Europe/Rome', location: 'Via Roma 1, Milano' },
        confirmUrl: null,
      },
      tag,
      PHRASES[builtInLanguage(language)],
    );
    const body = asText(fill(text, values));
    const { segments, encoding } = countSegments(body);
    if (segments === 1 && encoding === 'GSM-7') continue;
    const count = `${key}: ${segments} segment${segments === 1 ? '' : 's'} (${encoding})`;
    const culprit = encoding === 'UCS-2' ? [...body].find((char) => countSegments(char).encoding === 'UCS-2') : null;
    warnings.push(culprit ? `${count}, because "${culprit}" is not in the GSM-7 alphabet` : count);
  }
  return warnings;
}
