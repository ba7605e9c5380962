"""squall.ioloop: an asyncio-based event loop facade, streams, tcp server and client."""
