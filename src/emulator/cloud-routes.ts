// The cloud providers' URLs: Azure OpenAI deployments, Vertex AI publishers' models and the Bedrock
// runtime (Converse and InvokeModel). Each route checks its cloud's credentials (./cloud-auth.ts) after the body is read
// (SigV4 signs the body), then hands the request to the provider's own handler.
import type { IncomingMessage } from 'node:http';
import { handleAnthropicMessages } from './anthropic.js';
import { handleConverse } from './bedrock.js';
import { handleInvoke } from './bedrock-invoke.js';
import { checkAzureKey, checkGoogleJwt, checkSigV4 } from './cloud-auth.js';
import { badRequest, EmuError, type Provider } from './errors.js';
import type { Exchange } from './exchange.js';
import { handleGenerate } from './gemini.js';
import { isKnownModel } from './models.js';
import { handleOpenAIChat } from './openai.js';
import { handleOpenAIEmbeddings } from './embeddings.js';
import { isObj } from './parse-util.js';

export interface CloudRoute {
  provider: Provider;
  body: true;
  /** Throws the cloud's 401/403 when the credentials do not check out. */
  auth(req: IncomingMessage, rawPath: string, bodyText: string, ex: Exchange): Promise<void> | void;
  run(ex: Exchange, body: unknown): Promise<void> | void;
}

const AZURE = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;
const VERTEX = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):(\w+)$/;
const BEDROCK = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/;

/** The Vertex Claude body's required version. */
const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

export function cloudRoute(method: string, path: string, query: string): CloudRoute | null {
  if (method !== 'POST') return null;
  const azure = AZURE.exec(path);
  if (azure) return azureRoute(decode(azure[1]!), azure[2]!, query);
  const vertex = VERTEX.exec(path);
  if (vertex) return vertexRoute(vertex[3] as 'google' | 'anthropic', decode(vertex[4]!), vertex[5]!, query);
  const bedrock = BEDROCK.exec(path);
  if (bedrock) {
    const modelId = decode(bedrock[1]!);
    const action = bedrock[2]!;
    const stream = action.endsWith('-stream');
    return {
      provider: 'bedrock',
      body: true,
      auth: (req, rawPath, text, ex) => checkSigV4(req, rawPath, text, ex.state.cloud.aws),
      run: (ex, body) => (action.startsWith('invoke') ? handleInvoke(ex, body, modelId, stream) : handleConverse(ex, body, modelId, stream)),
    };
  }
  return null;
}

function azureRoute(deployment: string, operation: string, query: string): CloudRoute {
  return {
    provider: 'openai',
    body: true,
    auth: (req, _path, _text, ex) => checkAzureKey(req, ex.state.cloud.azureApiKey),
    run: (ex, body) => {
      if (!/(^|&)api-version=[^&]/.test(query)) throw new EmuError(404, 'Resource not found', { code: '404' });
      // The deployment decides the model; an emulated deployment is named after the model it serves.
      if (!isKnownModel(deployment)) {
        throw new EmuError(
          404,
          'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
          {
            code: 'DeploymentNotFound',
          },
        );
      }
      if (ex.header('x-emulator-fault') === 'content_filter') throw contentFiltered();
      const withModel = isObj(body) ? { ...body, model: deployment } : body;
      return operation === 'embeddings' ? handleOpenAIEmbeddings(ex, withModel) : handleOpenAIChat(ex, withModel);
    },
  };
}

function vertexRoute(publisher: 'google' | 'anthropic', model: string, method: string, query: string): CloudRoute | null {
  const auth: CloudRoute['auth'] = (req, _path, _text, ex) => checkGoogleJwt(req, ex.state.cloud.googleServiceAccounts, ex.state.now());
  if (publisher === 'google') {
    if (method !== 'generateContent' && method !== 'streamGenerateContent') return null;
    const stream = method === 'streamGenerateContent';
    return {
      provider: 'gemini',
      body: true,
      auth,
      run: (ex, body) => {
        if (stream && !/(^|&)alt=sse(&|$)/.test(query)) throw new EmuError(400, 'The emulator supports streamGenerateContent only with ?alt=sse.');
        return handleGenerate(ex, body, model, stream);
      },
    };
  }
  if (method !== 'rawPredict' && method !== 'streamRawPredict') return null;
  return {
    provider: 'anthropic',
    body: true,
    auth,
    run: (ex, body) => {
      if (!isObj(body)) throw badRequest('The body must be a JSON object.');
      const { anthropic_version: version, ...rest } = body;
      if (version !== VERTEX_ANTHROPIC_VERSION) throw badRequest(`anthropic_version: Input should be '${VERTEX_ANTHROPIC_VERSION}'`);
      if (rest.model !== undefined) throw badRequest('model: Extra inputs are not permitted');
      return handleAnthropicMessages(ex, { ...rest, model });
    },
  };
}

/** Azure's answer to a prompt its content filter blocks (`x-emulator-fault: content_filter`). */
function contentFiltered(): EmuError {
  const ok = { filtered: false, severity: 'safe' };
  return new EmuError(
    400,
    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
    {
      param: 'prompt',
      code: 'content_filter',
      details: {
        status: 400,
        innererror: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_result: {
            hate: ok,
            jailbreak: { filtered: false, detected: false },
            self_harm: ok,
            sexual: ok,
            violence: { filtered: true, severity: 'medium' },
          },
        },
      },
    },
  );
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
