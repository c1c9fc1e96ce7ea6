// The auction story in Chromium (service worker background).

import { describeAuctionStory } from './support/auction-story.js';
import { launchChromium } from './support/chromium.js';

describeAuctionStory('the add-on in Chromium', launchChromium);
