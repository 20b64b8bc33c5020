import Ajv2020 from 'ajv/dist/2020';
import { openApiDocument } from '../../api/openapi/document';
import { appointmentRequests } from '../support/appointment-request';
import { inFuture, useTestSystem, type ApiResponse } from '../support/system';

// Real answers of the running system against the OpenAPI document: each status is one the
// operation documents, with a documented media type, and its body validates against the
// documented schema with no property the document does not name. The document's objects stay
// open (clients must tolerate new fields); here they are closed, so an undocumented field fails.

const system = useTestSystem();
const request = appointmentRequests('OAS');
const ajv = new Ajv2020({ strict: false, allErrors: true });

type Json = Record<string, unknown>;

/** A copy of the schema in which every object without an `additionalProperties` rule allows none. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy = Object.fromEntries<unknown>(Object.entries(schema).map(([k, v]) => [k, closed(v)]));
  if (copy.type === 'object' && copy.properties && !('additionalProperties' in copy)) copy.additionalProperties = false;
  return copy;
}

function expectDocumented(method: string, path: string, res: ApiResponse<unknown>): void {
  const operation = (openApiDocument().paths?.[path] as Json | undefined)?.[method] as Json | undefined;
  const documented = (operation?.responses as Json | undefined)?.[String(res.status)] as Json | undefined;
  expect({ operation: `${method} ${path}`, status: res.status, documented: documented !== undefined }).toEqual({
    operation: `${method} ${path}`,
    status: res.status,
    documented: true,
  });
  const contentType = (res.headers.get('content-type') ?? '').split(';')[0];
  const media = (documented!.content as Json)[contentType] as Json | undefined;
  expect({ status: res.status, contentType, documented: media !== undefined }).toEqual({
    status: res.status,
    contentType,
    documented: true,
  });
  const validate = ajv.compile({
    ...(closed(media!.schema) as Json),
    components: closed(openApiDocument().components),
  });
  const valid = validate(res.body);
  expect({ operation: `${method} ${path}`, status: res.status, errors: valid ? null : validate.errors }).toEqual({
    operation: `${method} ${path}`,
    status: res.status,
    errors: null,
  });
}

test('appointment answers match the document: create 201, view, log, messages, 422, 400, 401, 404', async () => {
  const body = request({
    client: { name: 'Maria Rossi', phone: '+393471234567', email: 'm@example.com', smsConsent: true },
  });
  const created = await system().api('POST', '/v1/appointments', body);
  expect(created.status).toBe(201);
  expectDocumented('post', '/v1/appointments', created);
  const retried = await system().api('POST', '/v1/appointments', body);
  expect(retried.status).toBe(200);
  expectDocumented('post', '/v1/appointments', retried);

  const id = body.appointmentId;
  const view = await system().api('GET', `/v1/appointments/${id}`);
  expect(view.status).toBe(200);
  expectDocumented('get', '/v1/appointments/{appointmentId}', view);
  const log = await system().api('GET', `/v1/appointments/${id}/log`);
  expect(log.status).toBe(200);
  expectDocumented('get', '/v1/appointments/{appointmentId}/log', log);
  const messages = await system().api('GET', `/v1/appointments/${id}/messages`);
  expect(messages.status).toBe(200);
  expectDocumented('get', '/v1/appointments/{appointmentId}/messages', messages);

  const past = await system().api('POST', '/v1/appointments', request({ startsAt: '2020-01-01T09:00:00+01:00' }));
  expect(past.status).toBe(422);
  expectDocumented('post', '/v1/appointments', past);
  const unknownField = await system().api('POST', '/v1/appointments', request({ colour: 'blue' }));
  expect(unknownField.status).toBe(400);
  expectDocumented('post', '/v1/appointments', unknownField);
  const noKey = await system().api('GET', `/v1/appointments/${id}`, undefined, { apiKey: null });
  expect(noKey.status).toBe(401);
  expectDocumented('get', '/v1/appointments/{appointmentId}', noKey);
  const missing = await system().api('GET', '/v1/appointments/nope');
  expect(missing.status).toBe(404);
  expectDocumented('get', '/v1/appointments/{appointmentId}', missing);
});

test('message, practice and contact answers match the document', async () => {
  const sent = await system().api<{ id: string }>('POST', '/v1/messages', {
    to: '+393471234567',
    channel: 'sms',
    body: 'Your results are ready.',
    sendAt: inFuture(3_600_000),
  });
  expect(sent.status).toBe(202);
  expectDocumented('post', '/v1/messages', sent);
  const cancelled = await system().api('DELETE', `/v1/messages/${sent.body.id}`);
  expect(cancelled.status).toBe(200);
  expectDocumented('delete', '/v1/messages/{messageId}', cancelled);
  const list = await system().api('GET', '/v1/messages?limit=5');
  expect(list.status).toBe(200);
  expectDocumented('get', '/v1/messages', list);
  const badFilter = await system().api('GET', '/v1/messages?direction=sideways');
  expect(badFilter.status).toBe(422);
  expectDocumented('get', '/v1/messages', badFilter);

  const practice = await system().api('GET', '/v1/practice');
  expect(practice.status).toBe(200);
  expectDocumented('get', '/v1/practice', practice);
  const changed = await system().api('PATCH', '/v1/practice', { locale: 'it-IT' });
  expect(changed.status).toBe(200);
  expectDocumented('patch', '/v1/practice', changed);

  const contact = await system().api('GET', `/v1/contacts/${encodeURIComponent('+393471234567')}`);
  expect(contact.status).toBe(200);
  expectDocumented('get', '/v1/contacts/{phone}', contact);
});
