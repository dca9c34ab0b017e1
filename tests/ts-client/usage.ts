// Compiles only if the TypeScript generated from openapi/consent-service.json carries the decision contract:
// `make test` generates generated/consent-service.ts (openapi-typescript) and runs `tsc --noEmit` on this file.
// Nothing here runs; the type checker is the test.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/consent-service";

type Schemas = components["schemas"];
export type DecisionQuery = Schemas["DecisionQuery"];
export type DecisionResult = Schemas["DecisionResult"];
export type ProblemDetails = Schemas["ProblemDetails"];

// Every field of the contract is in the generated type (a missing one makes `Missing` non-never and this line fails).
type ContractFields = "decisionId" | "decision" | "basis" | "study" | "imagingStudy" | "actor" | "purpose"
  | "action" | "at" | "consent" | "provisionPath" | "reasons" | "obligations" | "policy";
type Missing = Exclude<ContractFields, keyof DecisionResult>;
const noFieldMissing: [Missing] extends [never] ? true : never = true;

// Fields always present are required, with their types; the ones a deny leaves empty are nullable.
export function describe(result: DecisionResult): string {
  const decisionId: string = result.decisionId;
  const decision: string = result.decision;
  const basis: string = result.basis;
  const study: string = result.study;
  const imagingStudy: string | null | undefined = result.imagingStudy;
  const actor: string = result.actor;
  const purpose: string | null | undefined = result.purpose.code;
  const action: string = result.action;
  const at: string = result.at;
  const consent: string | null | undefined = result.consent;
  const provisionPath: string | null | undefined = result.provisionPath;
  const reasons: string[] = result.reasons;
  const obligations: string[] = result.obligations.map((o) => `${o.system}|${o.code} (${o.display})`);
  const policy = `${result.policy.id}@${result.policy.version}`;
  return [decisionId, decision, basis, study, imagingStudy, actor, purpose, action, at, consent, provisionPath,
    ...reasons, ...obligations, policy, String(noFieldMissing)].join(" ");
}

// The request takes the contract's fields.
export const request: DecisionQuery = {
  study: "2.25.184127939512354983275493861234",
  actor: "Organization/acme-ai",
  purpose: { system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "MLTRAINING" },
  action: "use",
  at: "2026-01-01T00:00:00Z",
};

// A typed client over fetch: paths, bodies, results and problem details all come from the document.
export async function decide(baseUrl: string): Promise<DecisionResult> {
  const client = createClient<paths>({ baseUrl });
  const { data, error } = await client.POST("/api/v1/decisions", { body: request });
  if (error !== undefined) {
    const problem: ProblemDetails = error;
    const fields: string[] = Object.keys(problem.errors ?? {});
    throw new Error(`${problem.status} ${problem.title}: ${problem.detail} [${fields.join(", ")}]`);
  }
  return data;
}

export async function decideBatch(baseUrl: string, studies: string[]): Promise<Schemas["BatchSummary"]> {
  const client = createClient<paths>({ baseUrl });
  const { data, error } = await client.POST("/api/v1/decisions/batch", { body: { studies, actor: request.actor ?? null } });
  if (error !== undefined) {
    throw new Error(error.detail ?? "batch failed");
  }
  data.results.forEach(describe);
  return data.summary;
}

// The cohort answer is NDJSON: the document types one line as a decision or the summary line; fetch reads the text.
type CohortLine = paths["/api/v1/decisions/cohort"]["post"]["responses"][200]["content"]["application/x-ndjson"];
export async function cohort(baseUrl: string, body: Schemas["CohortQuery"]): Promise<{ permitted: DecisionResult[]; summary?: Schemas["CohortSummary"] }> {
  const response = await fetch(`${baseUrl}/api/v1/decisions/cohort`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const permitted: DecisionResult[] = [];
  let summary: Schemas["CohortSummary"] | undefined;
  for (const text of (await response.text()).split("\n").filter((l) => l.length > 0)) {
    const line = JSON.parse(text) as CohortLine;
    if ("summary" in line) {
      summary = line.summary;
    } else {
      permitted.push(line);
    }
  }
  return summary === undefined ? { permitted } : { permitted, summary };
}

// Audit verify: a typed GET with its optional head query, answering AuditVerification or problem details.
export async function verifyAuditTrail(baseUrl: string, token: string, head?: string): Promise<Schemas["AuditVerification"]> {
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
  const { data, error } = await client.GET("/api/v1/audit/verify", { params: { query: head === undefined ? {} : { head } } });
  if (error !== undefined) {
    const problem: ProblemDetails = error;
    throw new Error(`${problem.status} ${problem.title}: ${problem.detail}`);
  }
  const valid: boolean = data.valid;
  const events: number = data.events;
  const firstInvalid: string | null | undefined = data.firstInvalid;
  const chains: number[] = data.chains.map((c) => c.events);
  if (!valid) {
    throw new Error(`audit trail invalid at ${firstInvalid} (${events} events on ${chains.length} chains)`);
  }
  return data;
}
