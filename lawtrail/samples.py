"""Real media made on the spot, for the demo data and the tests: a body-camera video
(H.264 in MP4), an audio recording, a photo with its EXIF time and a drawn signature,
encoded with PyAV and Pillow rather than shipped as files."""

import datetime


def png_bytes(color=(20, 40, 160)):
    """A real PNG image, as a signature pad would send it."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 80), "white")
    ImageDraw.Draw(image).line([(10, 60), (80, 15), (150, 55), (230, 20)], fill=color, width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def make_video(path, seconds=3, *, fps=10, size=(320, 240), creation_time=None, codec="libx264", faststart=False):
    """A real video file, as a body camera writes it (H.264 in MP4 by default), with a
    moving picture and optional device creation time (an aware datetime)."""
    import av
    from PIL import Image, ImageDraw

    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as out:
        if creation_time is not None:
            out.metadata["creation_time"] = creation_time.astimezone(datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%S.000000Z")
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(int(seconds * fps)):
            image = Image.new("RGB", size, ((i * 7) % 255, 40, 90))
            ImageDraw.Draw(image).rectangle([(i * 5) % size[0], 20, (i * 5) % size[0] + 40, 80], fill="white")
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


AUDIO_CODECS = {"mp4": "aac", "mp3": "libmp3lame", "adts": "aac"}


def make_audio(path, seconds=2, rate=16000, container="mp4"):
    """A real audio recording, a tone: AAC in M4A, or MP3, or a raw AAC stream (adts)."""
    import array
    import math

    import av

    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(AUDIO_CODECS[container], rate=rate)
        stream.layout = "mono"
        total, chunk = int(seconds * rate), 1024
        for start in range(0, total, chunk):
            samples = array.array("f", (0.3 * math.sin(2 * math.pi * 440 * (start + n) / rate)
                                        for n in range(min(chunk, total - start))))
            frame = av.AudioFrame(format="flt", layout="mono", samples=len(samples))
            frame.planes[0].update(samples.tobytes())
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def make_photo(path, taken_at=None):
    """A real JPEG photo with the camera's EXIF DateTimeOriginal (local time)."""
    from PIL import Image

    image = Image.new("RGB", (640, 480), (90, 140, 60))
    exif = Image.Exif()
    if taken_at is not None:
        exif.get_ifd(0x8769)[0x9003] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    image.save(path, format="JPEG", exif=exif)
    return path
