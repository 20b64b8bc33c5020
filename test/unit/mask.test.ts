import { initials, maskEmail, maskPhone, maskText } from '../../lib/mask';

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
