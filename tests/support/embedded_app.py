"""A team's own FastAPI service with the chat mounted at /chat (the README's embedding example)."""

from fastapi import FastAPI

from app.main import mount_chat

app = FastAPI()


@app.get("/")
def home() -> dict[str, str]:
    return {"service": "the team's own app"}


mount_chat(app, path="/chat")
