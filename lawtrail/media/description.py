"""What a stored file says about itself: PyAV for audio and video, Pillow for photos.

Nothing here may refuse a file. The bytes are already stored and hashed when this runs;
a file that cannot be read, or is cut short, comes back `flagged` with the reason.
"""

import datetime
import io
from dataclasses import dataclass, field

import av
from PIL import ExifTags, Image, UnidentifiedImageError

THUMBNAIL_SIZE = (320, 180)
EXIF_DATETIME_ORIGINAL = 0x9003
EXIF_OFFSET_TIME_ORIGINAL = 0x9011


@dataclass
class Probe:
    kind: str = "other"
    content_type: str = "application/octet-stream"
    duration: float | None = None
    device_time: datetime.datetime | None = None
    info: dict = field(default_factory=dict)  # no floats: it is hashed as canonical JSON
    flagged: bool = False
    flag_reason: str = ""
    thumbnail: bytes | None = None

    def flag(self, reason):
        self.flagged = True
        self.flag_reason = "；".join(filter(None, [self.flag_reason, reason]))


def probe(path) -> Probe:
    photo = _probe_photo(path)
    if photo is not None:
        return photo
    return _probe_av(path)


def _probe_photo(path):
    try:
        with Image.open(path) as image:
            image.load()
            result = Probe(kind="photo", content_type=Image.MIME.get(image.format, "image/" + image.format.lower()),
                           info={"format": image.format, "width": image.width, "height": image.height})
            result.device_time = _exif_time(image.getexif())
            result.thumbnail = _jpeg(image)
            return result
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def _exif_time(exif):
    details = exif.get_ifd(ExifTags.IFD.Exif)
    text = details.get(EXIF_DATETIME_ORIGINAL) or exif.get(0x0132)  # DateTimeOriginal, else DateTime
    if not text:
        return None
    try:
        value = datetime.datetime.strptime(str(text).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = details.get(EXIF_OFFSET_TIME_ORIGINAL)
    if offset:
        try:
            return datetime.datetime.strptime(f"{value:%Y-%m-%d %H:%M:%S}{offset}", "%Y-%m-%d %H:%M:%S%z")
        except ValueError:
            pass
    # Cameras write local time without a zone; the agencies are all in China.
    return value.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def _jpeg(image):
    copy = image.convert("RGB")
    copy.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=80)
    return out.getvalue()


CONTAINER_TYPES = {"mov,mp4,m4a,3gp,3g2,mj2": "video/mp4", "matroska,webm": "video/webm", "avi": "video/x-msvideo",
                   "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "flac": "audio/flac",
                   "aac": "audio/aac", "mpegts": "video/mp2t"}


def _probe_av(path):
    result = Probe()
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, OSError) as exc:
        result.flag(f"无法识别的媒体文件（{_reason(exc)}），已按原样保存")
        return result
    with container:
        video = next((s for s in container.streams.video), None)
        audio = next((s for s in container.streams.audio), None)
        if video is None and audio is None:
            result.flag("文件中没有音视频流，已按原样保存")
            return result
        result.kind = "video" if video is not None else "audio"
        content_type = CONTAINER_TYPES.get(container.format.name, "application/octet-stream")
        if result.kind == "audio" and content_type.startswith("video/"):
            content_type = "audio/" + content_type.split("/")[1]
        result.content_type = content_type
        if container.duration is not None:
            result.duration = container.duration / av.time_base
        result.info = {
            "format": container.format.name,
            "streams": [_stream_info(s) for s in container.streams if s.type in ("video", "audio")],
        }
        result.device_time = _creation_time(container.metadata) or next(
            (t for s in container.streams if (t := _creation_time(s.metadata))), None)
        try:
            if video is not None:
                result.info.update(width=video.codec_context.width, height=video.codec_context.height)
                result.thumbnail = _poster(container, video, result)
            if not result.flagged:
                _check_complete(container, result)
        except (av.FFmpegError, ValueError, OSError) as exc:  # the file is kept whatever its streams hold
            result.flag(f"无法完整读取媒体信息（{_reason(exc)}），已按原样保存")
    return result


def _stream_info(stream):
    info = {"type": stream.type, "codec": stream.codec_context.name}
    if stream.duration is not None and stream.time_base is not None:
        info["duration_ms"] = round(float(stream.duration * stream.time_base) * 1000)
    if stream.type == "video":
        info.update(width=stream.codec_context.width, height=stream.codec_context.height,
                    fps=f"{float(stream.average_rate):.3g}" if stream.average_rate else None)
    else:
        info.update(sample_rate=stream.codec_context.sample_rate, channels=stream.codec_context.channels)
    return info


def _creation_time(metadata):
    text = (metadata or {}).get("creation_time")
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.year < 2000:  # an unset camera clock (1904/1970 epochs): no claim at all
        return None
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def _poster(container, stream, result):
    """A poster frame about a second in (or the first frame of a shorter video)."""
    try:
        if result.duration and result.duration > 2:
            container.seek(int(av.time_base), any_frame=False)
        for frame in container.decode(stream):
            # Scaled by FFmpeg, not at full size through Pillow (30 ms for a 1080p frame).
            scale = min(1.0, THUMBNAIL_SIZE[0] / frame.width, THUMBNAIL_SIZE[1] / frame.height)
            return _jpeg(frame.reformat(width=max(1, round(frame.width * scale)),
                                        height=max(1, round(frame.height * scale)), format="rgb24").to_image())
    except (av.FFmpegError, ValueError) as exc:
        result.flag(f"无法解码视频画面（{_reason(exc)}）")
    finally:
        _rewind(container)
    return None


def _rewind(container):
    """Back to the start, where a stream can seek: a raw elementary stream (a camera's
    .h264 or .h265 export) cannot, and is read from where it is."""
    try:
        container.seek(0)
    except av.FFmpegError:
        pass


# Containers whose header states the duration (so a file cut short claims more than it
# holds: MP4's moov, an MP3's Xing/LAME frame count) and that seek through an index or by
# arithmetic. Raw streams (AMR, AAC) estimate the duration from the file size and MPEG-TS,
# Ogg and WAV take it from what is there, so a cut is no lie in them; and seeking a raw
# stream means scanning it (11 s for 1 GiB of AMR).
DECLARED_DURATION = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi", "mp3", "flac", "asf"}
TAIL_PACKETS = 200_000  # 3 % of a ten-hour recording at 30 frames and 47 audio packets a second


def _check_complete(container, result):
    """A file cut short (an interrupted copy from the camera) claims more than it holds:
    demux from near the claimed end to the real end and compare the times. A damaged
    index that sends the demuxer back to the start gives up after TAIL_PACKETS packets.
    The last two seconds are read first: a whole file passes on them, and the 3 % of a
    long video (30 MB of a GiB, just written past the page cache by an upload) are read
    only for a file that does not reach the claimed end from there, as before (a read error
    between 97 % and the last two seconds of a file that ends whole is no longer looked for)."""
    if not result.duration or result.duration < 1 or container.format.name not in DECLARED_DURATION:
        return
    enough, from_97 = result.duration - max(1.0, result.duration * 0.05), result.duration * 0.97
    near_end = max(from_97, result.duration - 2.0)
    if near_end > from_97:
        try:
            last = _demuxed_to(container, near_end)
        except (av.FFmpegError, ValueError, OSError):
            last = None  # said again, or not, by the pass from 97 %
        if last is not None and last >= enough:
            return
    try:
        last = _demuxed_to(container, from_97)
    except (av.FFmpegError, ValueError, OSError) as exc:
        result.flag(f"文件不完整（{_reason(exc)}），已按原样保存")
        return
    if last is not None and last < enough:
        result.flag(f"文件不完整：声明时长 {result.duration:.1f} 秒，实际数据只到 {last:.1f} 秒，已按原样保存")


def _demuxed_to(container, seconds):
    """The end time of the last packet, demuxed from the key frame before `seconds` to the
    end of the file; None after TAIL_PACKETS packets (a damaged index: no verdict)."""
    last, units = 0.0, {}
    container.seek(int(seconds * av.time_base), any_frame=False)
    for count, packet in enumerate(container.demux()):
        if count > TAIL_PACKETS:
            return None
        if packet.size and packet.pts is not None and packet.time_base is not None:
            unit = units.get(packet.stream_index) or units.setdefault(packet.stream_index, float(packet.time_base))
            last = max(last, (packet.pts + (packet.duration or 0)) * unit)
    return last


def _reason(exc):
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)[:120]
