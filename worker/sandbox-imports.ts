/**
 * What workflow code may not import, found while webpack bundles it: a webpack plugin that records
 * each refused request with the module that made it, so the worker can name the user's file and the
 * import instead of the bundler's generic error. Type-only imports are erased before webpack sees
 * them, so `import type` of activities stays allowed.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { CODE_ROOT } from '../lib/package-root';
import { REPO_ROOT } from '../lib/tools';

/** Node built-ins the SDK lets workflow code use. */
const ALLOWED_BUILTINS = new Set(['assert', 'url', 'util']);
// webpack reports modules by their real path
const ACTIVITIES_DIRS = [...new Set([REPO_ROOT, CODE_ROOT])].map(
  (root) => path.join(fs.realpathSync(root), 'activities') + path.sep,
);
const inActivities = (file: string) => ACTIVITIES_DIRS.some((dir) => file.startsWith(dir));
const TEMPORAL_NON_WORKFLOW = ['activity', 'client', 'worker', 'testing', 'core-bridge'];

/** One refused import: which module asked for what, and why it may not. */
export interface RefusedImport {
  /** Absolute path of the module with the import. */
  issuer: string;
  request: string;
  why: string;
}

/** Why workflow code may not import `request` (undefined: it may). */
export function refusalOf(request: string): string | undefined {
  const bare = request.startsWith('node:') ? request.slice('node:'.length) : request;
  const top = bare.split('/')[0] ?? bare;
  if (builtinModules.includes(top) && !ALLOWED_BUILTINS.has(top))
    return 'a Node built-in: workflow code is deterministic and does no I/O; do it in an activity';
  const temporal = /^@temporalio\/([^/]+)/.exec(request)?.[1];
  if (temporal && TEMPORAL_NON_WORKFLOW.includes(temporal))
    return `@temporalio/${temporal} runs outside the workflow sandbox; workflow code imports @temporalio/workflow`;
  if (request === 'temporal-mlops/client' || request.startsWith('temporal-mlops/client/'))
    return 'the client API starts and queries runs from outside; workflow code imports temporal-mlops/workflow';
  return undefined;
}

/** Just the webpack shapes the plugin touches (webpack is the SDK's dependency, not this project's). */
interface ResolveData {
  request: string;
  contextInfo: { issuer: string };
  createData: { resource?: string };
}
interface Hook<T> {
  tap(name: string, fn: (data: T) => void): void;
}
interface WebpackCompiler {
  hooks: {
    normalModuleFactory: Hook<{ hooks: { beforeResolve: Hook<ResolveData>; afterResolve: Hook<ResolveData> } }>;
  };
}

/** Records refused imports during one bundling (`plugins` of the webpack config). */
export class SandboxImportsPlugin {
  private readonly found: RefusedImport[] = [];
  /** module → the module that first imported it, to tell which user file pulled a problem in. */
  private readonly importedBy = new Map<string, string>();

  apply(compiler: WebpackCompiler): void {
    compiler.hooks.normalModuleFactory.tap('SandboxImportsPlugin', (factory) => {
      factory.hooks.beforeResolve.tap('SandboxImportsPlugin', (data) => {
        const why = refusalOf(data.request);
        if (why && data.contextInfo.issuer) this.record(data.contextInfo.issuer, data.request, why);
      });
      factory.hooks.afterResolve.tap('SandboxImportsPlugin', (data) => {
        const resource = data.createData.resource;
        const issuer = data.contextInfo.issuer;
        if (!resource || !issuer) return;
        if (!this.importedBy.has(resource)) this.importedBy.set(resource, issuer);
        if (inActivities(resource) && !inActivities(issuer))
          this.record(
            issuer,
            data.request,
            'an activity: import activities as types only (`import type`) and call them through proxyActivities',
          );
      });
    });
  }

  /**
   * The refused imports, leaving out those made by modules that are only there because something
   * imported an activity (that import is the one to fix).
   */
  refused(): RefusedImport[] {
    return this.found.filter((r) => !this.chain(r.issuer).some((m) => inActivities(m)));
  }

  /** `module`, the module that imported it, and so on up to the entry. */
  chain(module: string): string[] {
    const out = [module];
    for (let m = this.importedBy.get(module); m !== undefined && !out.includes(m); m = this.importedBy.get(m))
      out.push(m);
    return out;
  }

  private record(issuer: string, request: string, why: string): void {
    if (!this.found.some((r) => r.issuer === issuer && r.request === request))
      this.found.push({ issuer, request, why });
  }
}
