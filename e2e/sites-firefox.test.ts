// What the user controls about sites, in Firefox ESR (persistent background page).
import { launchFirefox } from './support/firefox.js';
import { describeSiteControlStory } from './support/site-control-story.js';

describeSiteControlStory('sites and their permissions in Firefox', launchFirefox);
