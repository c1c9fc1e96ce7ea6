// Signing in with an OpenID Connect provider in Chromium (identity.launchWebAuthFlow).

import { launchChromium } from './support/chromium.js';
import { describeOidcStory } from './support/oidc-story.js';

describeOidcStory('OpenID Connect sign-in in Chromium', launchChromium);
