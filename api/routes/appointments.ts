import { Router } from 'express';
import { parseBody } from '../../lib/parse';
import type { AppointmentService } from '../../services/appointments';
import {
  cancelAppointmentSchema,
  confirmAppointmentSchema,
  createAppointmentSchema,
  newAppointmentSchema,
  remindAppointmentSchema,
  rescheduleAppointmentSchema,
} from '../../domain/appointment-request';

export function appointmentRoutes(appointments: AppointmentService): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    // A body with a bad field is answered with every bad field, a passed start included; one
    // whose only fault is a passed start may be a retry, which the service recognises first.
    const checked = createAppointmentSchema.safeParse(req.body);
    const request = checked.success ? checked.data : parseBody(newAppointmentSchema, req.body);
    const { created, view } = await appointments.create(res.locals.practice, request);
    res
      .status(created ? 201 : 200)
      .location(`/v1/appointments/${encodeURIComponent(view.appointmentId)}`)
      .json(view);
  });

  router.get('/:appointmentId', async (req, res) => {
    res.json(await appointments.view(res.locals.practice.id, req.params.appointmentId));
  });

  router.patch('/:appointmentId', async (req, res) => {
    const change = parseBody(rescheduleAppointmentSchema, req.body);
    res.json(await appointments.reschedule(res.locals.practice.id, req.params.appointmentId, change));
  });

  router.post('/:appointmentId/cancel', async (req, res) => {
    const request = parseBody(cancelAppointmentSchema, req.body);
    res.json(await appointments.cancel(res.locals.practice.id, req.params.appointmentId, request));
  });

  router.get('/:appointmentId/log', async (req, res) => {
    res.json(await appointments.log(res.locals.practice.id, req.params.appointmentId));
  });

  router.post('/:appointmentId/confirm', async (req, res) => {
    parseBody(confirmAppointmentSchema, req.body);
    res.json(await appointments.confirm(res.locals.practice.id, req.params.appointmentId));
  });

  router.post('/:appointmentId/remind', async (req, res) => {
    const request = parseBody(remindAppointmentSchema, req.body ?? {});
    res.status(202).json(await appointments.remind(res.locals.practice.id, req.params.appointmentId, request));
  });

  return router;
}
