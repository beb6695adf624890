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
import { adminProcedure, operatorProcedure, router } from '../init';

const idInput = z.object({ id: z.string().min(1).max(128) });

/** The alerts procedures of the console: the REST operations, plus the rule preview, the badge count and targets. */
export const alertsRouter = router({
  rules: operatorProcedure
    .input(rulesQuerySchema)
    .output(z.array(ruleViewSchema))
    .query(({ ctx, input }) => ctx.container.alerts.service.listRules(ctx.caller, input)),

  rule: operatorProcedure
    .input(idInput)
    .output(ruleViewSchema)
    .query(({ ctx, input }) => ctx.container.alerts.service.getRule(ctx.caller, input.id)),

  createRule: adminProcedure
    .input(createRuleInputSchema)
    .output(ruleViewSchema)
    .mutation(({ ctx, input }) => ctx.container.alerts.service.createRule(ctx.caller, input)),

  updateRule: adminProcedure
    .input(idInput.extend(updateRuleInputSchema.shape).strict())
    .output(ruleViewSchema)
    .mutation(({ ctx, input: { id, ...patch } }) => ctx.container.alerts.service.updateRule(ctx.caller, id, patch)),

  deleteRule: adminProcedure
    .input(idInput)
    .output(ruleViewSchema)
    .mutation(({ ctx, input }) => ctx.container.alerts.service.deleteRule(ctx.caller, input.id)),

  /** New secret for a webhook channel; the old one keeps signing (both signatures) for the overlap. */
  rotateChannelSecret: adminProcedure
    .input(
      z
        .object({ id: z.string().min(1).max(128), channelId: z.string().min(1).max(128) })
        .extend(rotateSecretInputSchema.shape)
        .strict(),
    )
    .output(ruleViewSchema)
    .mutation(({ ctx, input: { id, channelId, ...rest } }) => ctx.container.alerts.service.rotateChannelSecret(ctx.caller, id, channelId, rest)),

  /** The draft rule's current value per server, before saving it. */
  preview: operatorProcedure
    .input(previewInputSchema)
    .output(previewViewSchema)
    .query(({ ctx, input }) => ctx.container.alerts.service.preview(ctx.caller, input)),

  /** Tenants and their servers, to choose a rule's scope. */
  targets: operatorProcedure.output(targetsViewSchema).query(({ ctx }) => ctx.container.alerts.service.targets(ctx.caller)),

  incidents: operatorProcedure
    .input(incidentsQuerySchema)
    .output(z.array(incidentViewSchema))
    .query(({ ctx, input }) => ctx.container.alerts.service.listIncidents(ctx.caller, input)),

  incident: operatorProcedure
    .input(idInput)
    .output(incidentDetailSchema)
    .query(({ ctx, input }) => ctx.container.alerts.service.getIncident(ctx.caller, input.id)),

  /** Unresolved incidents by status, for the navigation badge (polled). */
  openCount: operatorProcedure.output(openCountViewSchema).query(({ ctx }) => ctx.container.alerts.service.openCount(ctx.caller)),

  acknowledge: adminProcedure
    .input(idInput.extend(acknowledgeInputSchema.shape).strict())
    .output(incidentDetailSchema)
    .mutation(({ ctx, input: { id, ...rest } }) => ctx.container.alerts.service.acknowledge(ctx.caller, id, rest)),

  addNote: adminProcedure
    .input(idInput.extend(noteInputSchema.shape).strict())
    .output(incidentDetailSchema)
    .mutation(({ ctx, input }) => ctx.container.alerts.service.addNote(ctx.caller, input.id, input.note)),
});
