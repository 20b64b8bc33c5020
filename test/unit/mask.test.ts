import { initials, maskAddress, maskContactsIn, maskEmail, maskPhone, maskText } from '../../lib/mask';

describe('masking personal data for logs and summaries', () => {
  it('keeps a phone number recognisable but never whole', () => {
    expect(maskPhone('+393331234567')).toBe('+39•••••••567');
    expect(maskPhone('+15005550006')).toBe('+15••••••006');
    expect(maskPhone('+393331234567')).not.toContain('3331234567');
    expect(maskPhone('12345')).toBe('•••••');
    expect(maskPhone(null)).toBe('');
  });

  it('keeps the first letters and the top-level domain of an email address', () => {
    expect(maskEmail('giulia.rossi@example.com')).toBe('g•••@e•••.com');
    expect(maskEmail('a@localhost')).toBe('a•••@l•••');
    expect(maskEmail('not-an-email')).toBe('n•••');
    expect(maskEmail(undefined)).toBe('');
  });

  it('reduces a name to its initials', () => {
    expect(initials('Giulia Maria Rossi')).toBe('G. M. R.');
    expect(initials('  élodie   dupont ')).toBe('É. D.');
    expect(initials('')).toBe('');
  });

  it('logs a message body as its length only', () => {
    expect(maskText('Reply C to confirm')).toBe('[18 chars]');
    expect(maskText('')).toBe('[0 chars]');
  });
});

describe('masking contacts quoted in text', () => {
  it('masks every phone number and email address, leaving the rest', () => {
    expect(maskContactsIn("The 'To' number +393331234567 is not a valid phone number.")).toBe(
      "The 'To' number +39•••••••567 is not a valid phone number.",
    );
    expect(maskContactsIn('call +39 333 123 4567 or write giulia.rossi@example.com')).toBe(
      'call +39•••••••567 or write g•••@e•••.com',
    );
    expect(maskContactsIn('at 2026-11-28T09:00:00+01:00, 3 reminders, id 42')).toBe(
      'at 2026-11-28T09:00:00+01:00, 3 reminders, id 42',
    );
  });

  it('masks an address as the phone number or email address it is', () => {
    expect(maskAddress('+393331234567')).toBe('+39•••••••567');
    expect(maskAddress('giulia.rossi@example.com')).toBe('g•••@e•••.com');
    expect(maskAddress(null)).toBe('');
  });
});
