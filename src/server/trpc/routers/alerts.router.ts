import 'server-only';
import { z } from 'zod';
import {
  acknowledgeInputSchema,
  createRuleInputSchema,
  incidentDetailSchema,
  incidentViewSchema,
  incidentsQuerySchema,
  noteInputSchema,
  openCountViewSchema,
  previewInputSchema,
  previewViewSchema,
  rotateSecretInputSchema,
  ruleViewSchema,
  rulesQuerySchema,
  targetsViewSchema,
  updateRuleInputSchema,
} from '../../alerts/alerts.schemas';
import { ALL_TENANTS } from '../../tenants/tenant-access';
import { adminProcedure, operatorProcedure, router } from '../init';

const idInput = z.object({ id: z.string().min(1).max(128) });

/** The alerts procedures of the console: the REST operations, plus the rule preview, the badge count and targets. */
export const alertsRouter = router({
  rules: operatorProcedure
    .input(rulesQuerySchema)
    .output(z.array(ruleViewSchema))
    .query(({ ctx, input }) => ctx.container.alerts.service.listRules(ALL_TENANTS, input)),

  rule: operatorProcedure.input(idInput).output(ruleViewSchema).query(({ ctx, input }) => ctx.container.alerts.service.getRule(ALL_TENANTS, input.id)),

  createRule: adminProcedure
    .input(createRuleInputSchema)
    .output(ruleViewSchema)
    .mutation(({ ctx, input }) => ctx.container.alerts.service.createRule(ALL_TENANTS, input, ctx.caller.label)),

  updateRule: adminProcedure
    .input(idInput.extend(updateRuleInputSchema.shape).strict())
    .output(ruleViewSchema)
    .mutation(({ ctx, input: { id, ...patch } }) => ctx.container.alerts.service.updateRule(ALL_TENANTS, id, patch, ctx.caller.label)),

  deleteRule: adminProcedure
    .input(idInput)
    .output(ruleViewSchema)
    .mutation(({ ctx, input }) => ctx.container.alerts.service.deleteRule(ALL_TENANTS, input.id, ctx.caller.label)),

  /** New secret for a webhook channel; the old one keeps signing (both signatures) for the overlap. */
  rotateChannelSecret: adminProcedure
    .input(z.object({ id: z.string().min(1).max(128), channelId: z.string().min(1).max(128) }).extend(rotateSecretInputSchema.shape).strict())
    .output(ruleViewSchema)
    .mutation(({ ctx, input: { id, channelId, ...rest } }) => ctx.container.alerts.service.rotateChannelSecret(ALL_TENANTS, id, channelId, rest, ctx.caller.label)),

  /** The draft rule's current value per server, before saving it. */
  preview: operatorProcedure
    .input(previewInputSchema)
    .output(previewViewSchema)
    .query(({ ctx, input }) => ctx.container.alerts.service.preview(ALL_TENANTS, input)),

  /** Tenants and their servers, to choose a rule's scope. */
  targets: operatorProcedure.output(targetsViewSchema).query(({ ctx }) => ctx.container.alerts.service.targets(ALL_TENANTS)),

  incidents: operatorProcedure
    .input(incidentsQuerySchema)
    .output(z.array(incidentViewSchema))
    .query(({ ctx, input }) => ctx.container.alerts.service.listIncidents(ALL_TENANTS, input)),

  incident: operatorProcedure
    .input(idInput)
    .output(incidentDetailSchema)
    .query(({ ctx, input }) => ctx.container.alerts.service.getIncident(ALL_TENANTS, input.id)),

  /** Unresolved incidents by status, for the navigation badge (polled). */
  openCount: operatorProcedure.output(openCountViewSchema).query(({ ctx }) => ctx.container.alerts.service.openCount(ALL_TENANTS)),

  acknowledge: adminProcedure
    .input(idInput.extend(acknowledgeInputSchema.shape).strict())
    .output(incidentDetailSchema)
    .mutation(({ ctx, input: { id, ...rest } }) => ctx.container.alerts.service.acknowledge(ALL_TENANTS, id, rest, ctx.caller.label)),

  addNote: adminProcedure
    .input(idInput.extend(noteInputSchema.shape).strict())
    .output(incidentDetailSchema)
    .mutation(({ ctx, input }) => ctx.container.alerts.service.addNote(ALL_TENANTS, input.id, input.note, ctx.caller.label)),
});
