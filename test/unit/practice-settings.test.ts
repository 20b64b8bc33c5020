import { reminderPolicyOf } from '../../domain/practice';

describe('reading stored settings', () => {
  it('refuses a corrupt stored reminder policy, naming the practice and the field, instead of using the default', () => {
    const practice = { id: 'studio', reminderPolicy: [{ before: 'tomorrow', channel: 'sms' }] };
    expect(() => reminderPolicyOf(practice)).toThrow(/practice "studio".*reminderPolicy/);
  });
});
