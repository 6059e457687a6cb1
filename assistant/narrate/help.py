"""Help topics as blocks."""

from __future__ import annotations

from assistant.narrate.blocks import Block, Bullets, Heading, Paragraph
from assistant.step_results import HelpAnswer


def help_blocks(answer: HelpAnswer) -> list[Block]:
    topic = answer.topic
    blocks: list[Block] = [Heading(topic.title)]
    blocks.extend(Paragraph(p) for p in topic.paragraphs)
    if answer.samples:
        blocks.append(Bullets(tuple(f"`{name}`: {text}" for name, text in answer.samples)))
    if topic.examples:
        blocks.append(Paragraph("For example:"))
        blocks.append(Bullets(tuple(f"`{e}`" for e in topic.examples)))
    return blocks
