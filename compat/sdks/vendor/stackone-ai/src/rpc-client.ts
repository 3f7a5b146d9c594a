import { DEFAULT_BASE_URL, USER_AGENT } from './consts';
import { STACKONE_HEADER_KEYS } from './headers';
import {
	type RpcActionRequest,
	type RpcActionResponse,
	type RpcClientConfig,
	rpcActionRequestSchema,
	rpcActionResponseSchema,
	rpcClientConfigSchema,
} from './schema';
import { StackOneAPIError } from './utils/error-stackone-api';

// Re-export types for consumers and to make types portable
export type { RpcActionResponse } from './schema';

/**
 * Custom RPC client for StackOne API.
 * Replaces the @stackone/stackone-client-ts dependency.
 *
 * @see https://docs.stackone.com/platform/api-reference/actions/list-all-actions-metadata
 * @see https://docs.stackone.com/platform/api-reference/actions/make-an-rpc-call-to-an-action
 */
export class RpcClient {
	private readonly baseUrl: string;
	private readonly authHeader: string;
	private readonly timeout: number;

	constructor(config: RpcClientConfig) {
		const validatedConfig = rpcClientConfigSchema.parse(config);
		this.baseUrl = validatedConfig.serverURL || DEFAULT_BASE_URL;
		const username = validatedConfig.security.username;
		const password = validatedConfig.security.password || '';
		this.authHeader = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
		this.timeout = validatedConfig.timeout ?? 60_000;
	}

	/**
	 * Actions namespace containing RPC methods
	 */
	readonly actions: {
		rpcAction: (request: RpcActionRequest) => Promise<RpcActionResponse>;
	} = {
		/**
		 * Execute an RPC action
		 * @param request The RPC action request
		 * @returns The RPC action response matching server's ActionsRpcResponseApiModel
		 */
		rpcAction: async (request: RpcActionRequest): Promise<RpcActionResponse> => {
			const validatedRequest = rpcActionRequestSchema.parse(request);
			const url = `${this.baseUrl}/actions/rpc`;

			const requestBody = {
				action: validatedRequest.action,
				body: validatedRequest.body,
				headers: validatedRequest.headers,
				path: validatedRequest.path,
				query: validatedRequest.query,
			} as const satisfies RpcActionRequest;

			// Forward StackOne-specific headers as HTTP headers
			const requestHeaders = validatedRequest.headers;
			const forwardedHeaders: Record<string, string> = {};
			if (requestHeaders) {
				for (const key of STACKONE_HEADER_KEYS) {
					const value = requestHeaders[key];
					if (value !== undefined) {
						forwardedHeaders[key] = value;
					}
				}
			}
			const httpHeaders = {
				'Content-Type': 'application/json',
				Authorization: this.authHeader,
				'User-Agent': USER_AGENT,
				...forwardedHeaders,
			} satisfies Record<string, string>;

			const controller = new AbortController();
			const timeoutId = setTimeout(() => controller.abort(), this.timeout);

			let response: Response;
			let responseBody: unknown;
			try {
				response = await fetch(url, {
					method: 'POST',
					headers: httpHeaders,
					body: JSON.stringify(requestBody),
					signal: controller.signal,
				});
				responseBody = await response.json();
			} catch (error) {
				if (error instanceof Error && error.name === 'AbortError') {
					throw new StackOneAPIError(
						`Request timed out after ${this.timeout}ms for ${url}`,
						0,
						null,
						requestBody,
					);
				}
				throw error;
			} finally {
				clearTimeout(timeoutId);
			}

			if (!response.ok) {
				throw new StackOneAPIError(
					`RPC action failed for ${url}`,
					response.status,
					responseBody,
					requestBody,
				);
			}

			const validation = rpcActionResponseSchema.safeParse(responseBody);

			if (!validation.success) {
				throw new StackOneAPIError(
					`Invalid RPC action response for ${url}`,
					response.status,
					responseBody,
					requestBody,
				);
			}

			return validation.data;
		},
	};
}
