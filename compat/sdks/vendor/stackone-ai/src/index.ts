/**
 * StackOne AI Node.js SDK
 */

export { BaseTool, StackOneTool, Tools } from './tool';
export { createFeedbackTool } from './feedback';
export { StackOneError } from './utils/error-stackone';
export { StackOneAPIError } from './utils/error-stackone-api';

export {
	SearchTool,
	StackOneToolSet,
	ToolSetConfigError,
	ToolSetError,
	ToolSetLoadError,
	type AuthenticationConfig,
	type BaseToolSetConfig,
	type ExecuteToolsConfig,
	type SearchMode,
	type SearchToolsOptions,
	type SearchActionNamesOptions,
	type StackOneToolSetConfig,
} from './toolsets';

export {
	SemanticSearchClient,
	SemanticSearchError,
	type SemanticSearchOptions,
	type SemanticSearchResponse,
	type SemanticSearchResult,
} from './semantic-search';

export type {
	AISDKToolDefinition,
	AISDKToolResult,
	ExecuteConfig,
	ExecuteOptions,
	JsonObject,
	JsonValue,
	ParameterLocation,
	SearchConfig,
	ToolDefinition,
} from './types';
