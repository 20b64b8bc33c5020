import escapeHtml from 'escape-html';

// HTML built from templates whose every interpolated value is escaped unless it is already
// markup made here: a name like `<script>` or `O'Brien & Sons` cannot come out as markup,
// and nobody has to remember to escape.

export class Markup {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

type Value = string | number | Markup | null | undefined | false | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Markup) return value.html;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Markup {
  return new Markup(strings.reduce((out, text, i) => out + text + (i < values.length ? render(values[i]) : ''), ''));
}
