// What the user controls about sites, in Chromium (service worker background).
import { launchChromium } from './support/chromium.js';
import { describeSiteControlStory } from './support/site-control-story.js';

describeSiteControlStory('sites and their permissions in Chromium', launchChromium);
