"""`GET /v1/meta/timezones`: the zones Everflow's reports accept, by id (contract §2.5).

The ids are the sandbox's own, stable across runs (80 is America/New_York, as Everflow's Terraform
provider documents; the rest are made up). A zone only names the day boundaries a real Everflow
report uses: the sandbox's traffic is generated and reported in UTC whatever zone a report names.
"""

from __future__ import annotations

from shared.adapters.everflow.sandbox_fields import Json

# (timezone_id, IANA name, display name)
TIMEZONES: tuple[tuple[int, str, str], ...] = (
    (67, "UTC", "(UTC) Coordinated Universal Time"),
    (80, "America/New_York", "(UTC-05:00) Eastern Time (US & Canada)"),
    (81, "America/Chicago", "(UTC-06:00) Central Time (US & Canada)"),
    (82, "America/Denver", "(UTC-07:00) Mountain Time (US & Canada)"),
    (83, "America/Phoenix", "(UTC-07:00) Arizona"),
    (84, "America/Los_Angeles", "(UTC-08:00) Pacific Time (US & Canada)"),
    (85, "America/Anchorage", "(UTC-09:00) Alaska"),
    (86, "Pacific/Honolulu", "(UTC-10:00) Hawaii"),
    (87, "America/Toronto", "(UTC-05:00) Toronto"),
    (88, "America/Vancouver", "(UTC-08:00) Vancouver"),
    (89, "America/Halifax", "(UTC-04:00) Atlantic Time (Canada)"),
    (90, "America/Mexico_City", "(UTC-06:00) Mexico City"),
    (91, "America/Bogota", "(UTC-05:00) Bogota"),
    (92, "America/Lima", "(UTC-05:00) Lima"),
    (93, "America/Santiago", "(UTC-04:00) Santiago"),
    (94, "America/Sao_Paulo", "(UTC-03:00) Brasilia"),
    (95, "America/Argentina/Buenos_Aires", "(UTC-03:00) Buenos Aires"),
    (100, "Europe/London", "(UTC+00:00) London"),
    (101, "Europe/Dublin", "(UTC+00:00) Dublin"),
    (102, "Europe/Lisbon", "(UTC+00:00) Lisbon"),
    (103, "Europe/Paris", "(UTC+01:00) Paris"),
    (104, "Europe/Berlin", "(UTC+01:00) Berlin"),
    (105, "Europe/Madrid", "(UTC+01:00) Madrid"),
    (106, "Europe/Rome", "(UTC+01:00) Rome"),
    (107, "Europe/Amsterdam", "(UTC+01:00) Amsterdam"),
    (108, "Europe/Stockholm", "(UTC+01:00) Stockholm"),
    (109, "Europe/Warsaw", "(UTC+01:00) Warsaw"),
    (110, "Europe/Athens", "(UTC+02:00) Athens"),
    (111, "Europe/Helsinki", "(UTC+02:00) Helsinki"),
    (112, "Europe/Istanbul", "(UTC+03:00) Istanbul"),
    (113, "Europe/Moscow", "(UTC+03:00) Moscow"),
    (120, "Africa/Johannesburg", "(UTC+02:00) Johannesburg"),
    (121, "Africa/Cairo", "(UTC+02:00) Cairo"),
    (122, "Africa/Lagos", "(UTC+01:00) Lagos"),
    (130, "Asia/Dubai", "(UTC+04:00) Dubai"),
    (131, "Asia/Kolkata", "(UTC+05:30) India Standard Time"),
    (132, "Asia/Bangkok", "(UTC+07:00) Bangkok"),
    (133, "Asia/Singapore", "(UTC+08:00) Singapore"),
    (134, "Asia/Shanghai", "(UTC+08:00) Beijing"),
    (135, "Asia/Hong_Kong", "(UTC+08:00) Hong Kong"),
    (136, "Asia/Tokyo", "(UTC+09:00) Tokyo"),
    (137, "Asia/Seoul", "(UTC+09:00) Seoul"),
    (140, "Australia/Perth", "(UTC+08:00) Perth"),
    (141, "Australia/Sydney", "(UTC+10:00) Sydney"),
    (142, "Australia/Brisbane", "(UTC+10:00) Brisbane"),
    (143, "Pacific/Auckland", "(UTC+12:00) Auckland"),
)


def timezones() -> Json:
    """The catalogue, as Everflow answers it."""
    return {"timezones": [{"timezone_id": zone_id, "timezone": name, "timezone_name": label}
                          for zone_id, name, label in TIMEZONES]}
