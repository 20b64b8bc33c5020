import { parseReply } from '../../domain/reply-keywords';

test.each([
  ['C', 'confirm', 'C'],
  [' c. ', 'confirm', 'C'],
  ['Confirmed!', 'confirm', 'CONFIRMED'],
  ['STOP', 'opt_out', 'STOP'],
  ['stop all', 'other', null],
  ['Cancel', 'opt_out', 'CANCEL'],
  ['unsubscribe', 'opt_out', 'UNSUBSCRIBE'],
  ['"quit"', 'opt_out', 'QUIT'],
  ['START', 'opt_in', 'START'],
  ['yes', 'opt_in', 'YES'],
  ['unstop', 'opt_in', 'UNSTOP'],
  ['help?', 'help', 'HELP'],
  ['Info', 'help', 'INFO'],
  ['C see you then', 'other', null],
  ['Can I come at 10?', 'other', null],
  ['', 'other', null],
  ['👍', 'other', null],
])('%j → %s', (body, intent, keyword) => {
  expect(parseReply(body)).toEqual({ intent, keyword });
});
