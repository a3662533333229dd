/**
 * The settings of an online A/B test (`abTest` workflow, `mlops abtest start`): how traffic is
 * split, what counts as a success, which test decides and when it ends. Strict, with defaults, so
 * the CLI can name the flag of a bad value. Pure: workflows may import it.
 */
import { z } from 'zod';
import { isDuration, parseDuration } from '../duration';
import { positiveDurationSchema } from './duration';

export const AB_TEST_METRICS = ['accuracy', 'conversion'] as const;
export type AbTestMetric = (typeof AB_TEST_METRICS)[number];

export const abTestSettingsSchema = z
  .strictObject({
    split: z
      .number()
      .int('must be a whole percent')
      .min(1)
      .max(99)
      .default(50)
      .describe("The treatment's share of traffic (%); the control gets the rest"),
    metric: z
      .enum(AB_TEST_METRICS)
      .default('accuracy')
      .describe('accuracy: the prediction equals the feedback label; conversion: the label says the outcome happened'),
    method: z
      .enum(['fixed-horizon', 'sequential'])
      .default('sequential')
      .describe('fixed-horizon: a two-proportion z-test read once at the horizon; sequential: mSPRT, may stop early'),
    alpha: z.number().gt(0).lt(0.5).default(0.05).describe('The false positive rate the test allows'),
    duration: positiveDurationSchema.optional().describe('The horizon in time, e.g. 7d'),
    samplesPerArm: z
      .number()
      .int()
      .min(10)
      .optional()
      .describe('The horizon in labelled requests per arm (the test ends when both arms have them)'),
    analysisInterval: positiveDurationSchema.default('1m').describe('How often the outcomes are counted and tested'),
    minTrialsPerArm: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe('Sequential: looks before both arms have this many labelled requests do not count'),
    priorEffect: z
      .number()
      .gt(0)
      .max(1)
      .default(0.05)
      .describe('Sequential: a typical absolute difference of the rates (0.05 = 5 points)'),
  })
  .superRefine((s, ctx) => {
    if (s.duration === undefined && s.samplesPerArm === undefined)
      ctx.addIssue({ code: 'custom', path: ['duration'], message: 'give a duration, samplesPerArm, or both' });
    if (
      s.duration !== undefined &&
      isDuration(s.duration) &&
      isDuration(s.analysisInterval) &&
      parseDuration(s.analysisInterval) > parseDuration(s.duration)
    )
      ctx.addIssue({
        code: 'custom',
        path: ['analysisInterval'],
        message: `must not be longer than the duration (${s.duration})`,
      });
  });

export type AbTestSettings = z.infer<typeof abTestSettingsSchema>;
export type AbTestSettingsInput = z.input<typeof abTestSettingsSchema>;
