"""What each video model family responds to, and the question that asks an LLM to rewrite
a prompt for it ("improve prompt").

The advice is what the providers' own prompt guides stress: one named camera move,
a single continuous shot within the model's durations, sound described when the model
makes it, and what the model does badly. Each piece of advice starts with its most
important phrase (before the first comma).
"""

from __future__ import annotations

from dataclasses import dataclass

from videostudio.core.models import VideoModel

MAX_ANSWER_WORDS = 120
SILENT = "none, this model makes silent clips, so describe no sound"


@dataclass(frozen=True)
class Guidance:
    """Advice for one model family: camera language, shot length, audio cues, what to avoid."""

    camera: str
    shot: str
    audio: str
    avoid: str

    def lines(self) -> list[str]:
        return [
            f"- camera: {self.camera}",
            f"- shot: {self.shot}",
            f"- audio: {self.audio}",
            f"- avoid: {self.avoid}",
        ]


_CINEMATIC = "a slow dolly-in or a tracking shot, with lens and framing (wide shot, close-up, 35mm)"
_DIALOGUE = "ambient sound and one short line of dialogue in quotes, with who says it"
# Model id prefixes, most specific first; the last entry is the fallback.
FAMILIES: tuple[tuple[str, Guidance], ...] = (
    (
        "google/veo",
        Guidance(
            camera=_CINEMATIC,
            shot="one continuous shot with a single action from start to end, no cuts",
            audio=_DIALOGUE + ", and the music's mood",
            avoid="on-screen text and logos, negations (say what to show instead)",
        ),
    ),
    (
        "openai/sora",
        Guidance(
            camera="one camera setup per shot, described as a cinematographer would (angle, lens)",
            shot="a single shot with clear beats in time order, lighting and colour palette named",
            audio="the sound of the scene and any dialogue in quotes, kept short",
            avoid="real people's names, brands and logos, many subjects moving at once",
        ),
    ),
    (
        "kwaivgi/kling",
        Guidance(
            camera="one clear camera movement (push in, orbit, pan left), with its speed",
            shot="subject, then action, then setting, in one shot",
            audio="ambient sound and effects that match the action",
            avoid="fast complex choreography, text in the frame, several cuts",
        ),
    ),
    (
        "bytedance/seedance",
        Guidance(
            camera="a named camera move per shot (tracking shot, aerial, close-up)",
            shot="one or two shots described in order, each with its action",
            audio="ambient sound and the music's style",
            avoid="long lists of subjects, text in the frame",
        ),
    ),
    (
        "alibaba/wan",
        Guidance(
            camera="a simple camera move (slow pan, static shot, dolly-in)",
            shot="subject, scene and motion in one shot, with the visual style named",
            audio="ambient sound that fits the scene",
            avoid="blurry or distorted faces, extra limbs, on-screen text",
        ),
    ),
    (
        "minimax/hailuo",
        Guidance(
            camera="one camera instruction in brackets, e.g. [Push in] or [Pan left]",
            shot="one short shot with one physical action",
            audio=SILENT,
            avoid="several actions at once, text in the frame",
        ),
    ),
    (
        "runway/",
        Guidance(
            camera="the camera move first (handheld, locked-off, slow push)",
            shot="one shot: what moves and how, in plain words",
            audio=SILENT,
            avoid="negations (say what to show instead), conversational phrasing",
        ),
    ),
    (
        "",
        Guidance(
            camera="one named camera move (slow dolly-in, tracking shot, static shot)",
            shot="one continuous shot with a single action",
            audio="ambient sound that fits the scene",
            avoid="on-screen text and logos, several scene cuts",
        ),
    ),
)


def guidance_for(model: VideoModel) -> Guidance:
    """The advice for a model's family (a silent model is never told to describe sound)."""
    guidance = next(g for prefix, g in FAMILIES if model.id.startswith(prefix))
    if model.generate_audio is False and guidance.audio != SILENT:
        return Guidance(guidance.camera, guidance.shot, SILENT, guidance.avoid)
    return guidance


def improve_messages(prompt: str, model: VideoModel) -> list[dict[str, str]]:
    """The chat messages that ask for ``prompt`` rewritten for ``model``."""
    durations = model.supported_durations or ()
    length = f" Clips last {min(durations)} to {max(durations)} seconds." if durations else ""
    system = "\n".join(
        [
            f"You rewrite prompts for the video model {model.name}. Keep the user's subject, "
            "action and intent; make it concrete and visual." + length,
            f"Answer with the rewritten prompt only: no preamble, no quotes, no list, at most "
            f"{MAX_ANSWER_WORDS} words.",
            f"What {model.name} responds to:",
            *guidance_for(model).lines(),
        ]
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
