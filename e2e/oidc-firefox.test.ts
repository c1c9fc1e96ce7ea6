// Signing in with an OpenID Connect provider in Firefox ESR (identity.launchWebAuthFlow).

import { launchFirefox } from './support/firefox.js';
import { describeOidcStory } from './support/oidc-story.js';

describeOidcStory('OpenID Connect sign-in in Firefox ESR', launchFirefox);
