"""The whole-chain browser journey (issue 16), in parts the lead chains: each part is a function that
drives Debian's Chromium through Playwright from a :class:`journey.state.JourneyState`."""
