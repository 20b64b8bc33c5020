// The built-in texts, in every language we write: what a practice gets for each message
// kind and variant until it saves its own (domain/templates.ts looks them up). SMS texts
// fit one GSM-7 segment with typical names and places (test/unit/templates.test.ts checks
// that; Italian accented letters such as è, à, ù are in GSM-7). A sentence whose variables all
// come out empty is left out, which is why "For help call {{helpPhone}}." stands alone.

export type TemplateVariant = 'sms' | 'email' | 'email_subject';

export type BuiltInTexts = Record<string, Record<TemplateVariant, string>>;

/** Phrases the renderer itself needs, per language. */
export interface Phrases {
  /** {{replyInstructions}} when the client can reply to the sender. */
  reply: string;
  /** {{replyInstructions}} when the sender is a name: the client must text this number instead. */
  textNumber: (number: string) => string;
  confirmButton: string;
  buttonFallback: string;
}

export const BUILT_IN: Record<'en' | 'it', BuiltInTexts> = {
  en: {
    reminder_client: {
      sms:
        'Hi {{clientFirstName}}, a reminder from {{practiceName}}: your appointment is {{date}} at {{time}}, ' +
        '{{location}}. {{replyInstructions}}',
      email_subject: 'Reminder: your appointment at {{practiceName}} on {{date}} at {{time}}',
      email: [
        'Hi {{clientFirstName}},',
        '',
        'This is a reminder from {{practiceName}}: your appointment is on {{date}} at {{time}}.',
        'Where: {{location}}',
        '',
        'Please confirm that you are coming: {{confirmUrl}}',
        '',
        'If you cannot come, please contact {{practiceName}}.',
      ].join('\n'),
    },
    reminder_practitioner: {
      sms: '{{practiceName}}: reminder, {{clientName}} is booked {{date}} at {{time}}, {{location}}.',
      email_subject: '{{practiceName}}: {{clientName}} is booked {{date}} at {{time}}',
      email: [
        'Hi {{practitionerName}},',
        '',
        '{{practiceName}}: reminder, {{clientName}} is booked {{date}} at {{time}}.',
        'Where: {{location}}',
      ].join('\n'),
    },
    cancellation: {
      sms: '{{practiceName}}: your appointment {{date}} at {{time}} has been cancelled. Please contact us to book again.',
      email_subject: 'Cancelled: your appointment at {{practiceName}} on {{date}} at {{time}}',
      email: [
        'Hi {{clientFirstName}},',
        '',
        'Your appointment at {{practiceName}} on {{date}} at {{time}} has been cancelled. Please contact us to book again.',
      ].join('\n'),
    },
    confirmation_ack: {
      sms: '{{practiceName}}: thank you, your appointment on {{date}} at {{time}} is confirmed. See you then!',
      email_subject: 'Confirmed: your appointment at {{practiceName}} on {{date}} at {{time}}',
      email: [
        'Hi {{clientFirstName}},',
        '',
        'Thank you: your appointment at {{practiceName}} on {{date}} at {{time}} is confirmed.',
        'Where: {{location}}',
        '',
        'See you then.',
      ].join('\n'),
    },
    help: {
      sms:
        '{{practiceName}} appointment reminders. For help call {{helpPhone}}. ' +
        'Reply C to confirm, STOP to opt out, START to opt back in.',
      email_subject: '{{practiceName}}: appointment reminders',
      email: [
        '{{practiceName}} sends you appointment reminders.',
        'For help call {{helpPhone}}.',
        '',
        'Reply C to a text reminder to confirm, STOP to get no more texts, START to get them again.',
      ].join('\n'),
    },
    opt_out: {
      sms: '{{practiceName}}: you will get no more texts from us. Reply START to get them again.',
      email_subject: '{{practiceName}}: no more texts',
      email: ['{{practiceName}} will send you no more texts.', '', 'To get them again, text START to us.'].join('\n'),
    },
    opt_in: {
      sms: '{{practiceName}}: you will get appointment reminders by text again. Reply STOP to opt out.',
      email_subject: '{{practiceName}}: you will get texts again',
      email: [
        '{{practiceName}} will send you appointment reminders by text again.',
        '',
        'To get no more texts, text STOP to us.',
      ].join('\n'),
    },
  },
  it: {
    reminder_client: {
      sms:
        "Gentile {{clientFirstName}}, {{practiceName}} le ricorda l'appuntamento: {{date}} alle {{time}}, " +
        '{{location}}. {{replyInstructions}}',
      email_subject: 'Promemoria: il suo appuntamento presso {{practiceName}}, {{date}} alle {{time}}',
      email: [
        'Gentile {{clientFirstName}},',
        '',
        '{{practiceName}} le ricorda il suo appuntamento: {{date}} alle {{time}}.',
        'Dove: {{location}}',
        '',
        'Per favore confermi la sua presenza: {{confirmUrl}}',
        '',
        'Se non può venire, contatti {{practiceName}}.',
      ].join('\n'),
    },
    reminder_practitioner: {
      sms: '{{practiceName}}: promemoria, {{clientName}} ha un appuntamento {{date}} alle {{time}}, {{location}}.',
      email_subject: '{{practiceName}}: {{clientName}} ha un appuntamento {{date}} alle {{time}}',
      email: [
        'Gentile {{practitionerName}},',
        '',
        '{{practiceName}}: promemoria, {{clientName}} ha un appuntamento {{date}} alle {{time}}.',
        'Dove: {{location}}',
      ].join('\n'),
    },
    cancellation: {
      sms:
        '{{practiceName}}: il suo appuntamento di {{date}} alle {{time}} è stato annullato. ' +
        'Ci contatti per fissarne un altro.',
      email_subject: 'Annullato: il suo appuntamento presso {{practiceName}}, {{date}} alle {{time}}',
      email: [
        'Gentile {{clientFirstName}},',
        '',
        'il suo appuntamento presso {{practiceName}} di {{date}} alle {{time}} è stato annullato. ' +
          'Ci contatti per fissarne un altro.',
      ].join('\n'),
    },
    confirmation_ack: {
      sms: '{{practiceName}}: grazie, il suo appuntamento di {{date}} alle {{time}} è confermato. A presto!',
      email_subject: 'Confermato: il suo appuntamento presso {{practiceName}}, {{date}} alle {{time}}',
      email: [
        'Gentile {{clientFirstName}},',
        '',
        'grazie: il suo appuntamento presso {{practiceName}} di {{date}} alle {{time}} è confermato.',
        'Dove: {{location}}',
        '',
        'A presto.',
      ].join('\n'),
    },
    help: {
      sms:
        '{{practiceName}}: promemoria appuntamenti. Assistenza: {{helpPhone}}. ' +
        'Risponda C per confermare, STOP per non ricevere più SMS, START per riceverli di nuovo.',
      email_subject: '{{practiceName}}: promemoria degli appuntamenti',
      email: [
        '{{practiceName}} le invia i promemoria degli appuntamenti.',
        'Per assistenza chiami il {{helpPhone}}.',
        '',
        'Risponda a un SMS di promemoria con C per confermare, STOP per non ricevere più SMS, START per riceverli di nuovo.',
      ].join('\n'),
    },
    opt_out: {
      sms: '{{practiceName}}: non riceverà più SMS da noi. Risponda START per riceverli di nuovo.',
      email_subject: '{{practiceName}}: niente più SMS',
      email: ['{{practiceName}} non le invierà più SMS.', '', 'Per riceverli di nuovo, ci invii START via SMS.'].join(
        '\n',
      ),
    },
    opt_in: {
      sms: '{{practiceName}}: riceverà di nuovo i promemoria via SMS. Risponda STOP per non riceverli più.',
      email_subject: '{{practiceName}}: SMS di nuovo attivi',
      email: [
        '{{practiceName}} le invierà di nuovo i promemoria degli appuntamenti via SMS.',
        '',
        'Per non riceverli più, ci invii STOP via SMS.',
      ].join('\n'),
    },
  },
};

export const PHRASES: Record<'en' | 'it', Phrases> = {
  en: {
    reply: 'Reply C to confirm or STOP to opt out.',
    textNumber: (number) => `Text C to ${number} to confirm or STOP to opt out.`,
    confirmButton: 'Confirm my appointment',
    buttonFallback: 'If the button does not work, open this link:',
  },
  it: {
    reply: 'Risponda C per confermare o STOP per non ricevere SMS.',
    textNumber: (number) => `Invii C al ${number} per confermare o STOP per non ricevere SMS.`,
    confirmButton: 'Confermo il mio appuntamento',
    buttonFallback: 'Se il pulsante non funziona, apra questo link:',
  },
};
