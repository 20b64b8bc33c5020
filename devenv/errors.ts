/**
 * A problem with the development environment whose message already says what to do (a port
 * taken, a tool missing). Entry points print the message alone, without a stack trace.
 */
export class DevSetupError extends Error {
  override name = 'DevSetupError';
}
