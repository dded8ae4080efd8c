import type { FastifyInstance, FastifySchema } from 'fastify';
import { z } from 'zod';
import { ErrorResponse } from './schemas.js';

/**
 * Route schemas are zod schemas: zod validates at runtime (one validator, no ajv/zod drift) and the
 * same objects are turned into JSON Schema for the OpenAPI document.
 *
 * A multipart route cannot be validated by fastify (its body is a stream), so it declares its form
 * under `multipart`; the route handler validates the collected fields with it and the docs show it
 * as a `multipart/form-data` body.
 */
export interface ZodRouteSchema extends FastifySchema {
  body?: z.ZodType;
  querystring?: z.ZodType;
  params?: z.ZodType;
  response?: Record<number, z.ZodType | RawResponse>;
  multipart?: z.ZodType;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
}

/** A response whose body is not JSON (audio bytes): its OpenAPI `content` is given as is. */
export interface RawResponse {
  description: string;
  content: Record<string, { schema: Record<string, unknown> }>;
}

export function useZodSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler<z.ZodType>(({ schema }) => (data: unknown) => {
    const result = schema.safeParse(data);
    return result.success ? { value: result.data } : { error: result.error };
  });
  // Responses are built by our own code from typed values; plain JSON is enough.
  app.setSerializerCompiler(() => (data: unknown) => JSON.stringify(data));
}

function isZod(value: unknown): value is z.ZodType {
  return value instanceof z.ZodType;
}

function toJson(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}

/** @fastify/swagger `transform`: zod → JSON Schema for every part of a route's schema. */
export function zodToOpenApi({ schema, url }: { schema: FastifySchema; url: string }): {
  schema: FastifySchema;
  url: string;
} {
  if (schema === undefined || schema === null) return { schema, url };
  const { multipart, response, ...rest } = schema as ZodRouteSchema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) out[key] = isZod(value) ? toJson(value) : value;
  if (multipart !== undefined) {
    out.consumes = ['multipart/form-data'];
    out.body = toJson(multipart);
  }
  const responses: Record<string, unknown> = Object.fromEntries(
    Object.entries(response ?? {}).map(([status, value]) => [status, isZod(value) ? toJson(value) : value]),
  );
  // Every route is rate limited; documented once here instead of in each route.
  if (!url.startsWith('/healthz') && !url.startsWith('/readyz')) responses[429] ??= toJson(ErrorResponse);
  out.response = responses;
  return { schema: out as FastifySchema, url };
}
