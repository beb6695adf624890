import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import openapiTS, { astToString } from 'openapi-typescript';
import { describe, expect, it } from 'vitest';
import { openApiResponse } from './client-api-docs';

const ROOT = path.resolve(import.meta.dirname, '../../..');
/** Generated, never committed: under node_modules, so the script resolves openapi-fetch from the project. */
const OUT = path.join(ROOT, 'node_modules', '.cache', 'console-openapi-client');

async function servedDocument(): Promise<string> {
  return (await openApiResponse()).text();
}

describe('the OpenAPI document, as the tools users run see it', () => {
  it('passes Redocly’s strict recommended lint with no problem', async () => {
    // Every rule of recommended-strict is an error. One is off: the guard's 404 and 405 (components.responses)
    // answer requests that reach no operation, so no operation refers to them; they are documented all the same.
    const config = await createConfig({ extends: ['recommended-strict'], rules: { 'no-unused-components': 'off' } });
    const problems = await lintFromString({ source: await servedDocument(), absoluteRef: path.join(OUT, 'openapi.json'), config });
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ''}`)).toEqual([]);
  });

  it('generates a typed client (openapi-typescript) that the example script of docs/api.md compiles against', async () => {
    fs.rmSync(OUT, { recursive: true, force: true });
    fs.mkdirSync(OUT, { recursive: true });
    const types = astToString(await openapiTS(JSON.parse(await servedDocument()) as Parameters<typeof openapiTS>[0]));
    fs.writeFileSync(path.join(OUT, 'console-api.d.ts'), types);
    fs.copyFileSync(path.join(ROOT, 'docs/examples/console-client.ts'), path.join(OUT, 'console-client.ts'));
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ES2022',
        module: 'esnext',
        moduleResolution: 'bundler',
        lib: ['ES2023', 'dom'],
        types: [],
        skipLibCheck: true,
      },
      files: ['console-client.ts'],
    };
    fs.writeFileSync(path.join(OUT, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '--noEmit', '-p', OUT], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
    // The generated type knows what the fixed document says: the failed run's view, the polled reads' 304.
    expect(types).toMatch(/automation\?: \{/);
    expect(types).toContain('"If-None-Match"?: string');
  }, 60_000);
});
