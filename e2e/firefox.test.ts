// The auction story in Firefox ESR (event page background).
import { describeAuctionStory } from './support/auction-story.js';
import { launchFirefox } from './support/firefox.js';

describeAuctionStory('the add-on in Firefox', launchFirefox);
