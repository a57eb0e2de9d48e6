"""Who clicked: deterministic geo, device and IP for a sandbox click, shared by clicks and their conversions."""

from __future__ import annotations

import datetime as dt

from shared.adapters.everflow.sandbox_data import Pair, unit
from shared.adapters.everflow.sandbox_fields import Json

GEOS = (
    ("US", "United States", "California", "Los Angeles"),
    ("US", "United States", "New York", "New York"),
    ("US", "United States", "Texas", "Austin"),
    ("CA", "Canada", "Ontario", "Toronto"),
    ("GB", "United Kingdom", "England", "London"),
    ("DE", "Germany", "Berlin", "Berlin"),
    ("FR", "France", "Ile-de-France", "Paris"),
    ("AU", "Australia", "New South Wales", "Sydney"),
)
DEVICES = (  # platform, os version, device type, model, brand, browser
    ("iOS", "17.4", "Mobile", "iPhone", "Apple", "Safari"),
    ("Android", "14", "Mobile", "Pixel 8", "Google", "Chrome"),
    ("Windows", "11", "PC", "Desktop", "Microsoft", "Chrome"),
    ("macOS", "14.4", "PC", "Mac", "Apple", "Safari"),
    ("Android", "13", "Tablet", "Galaxy Tab S9", "Samsung", "Chrome"),
)
AGENTS = {
    "iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Android": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36",
    "Windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "macOS": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15",
}


class Visitor:
    """The person behind one click of a pair on a day."""

    def __init__(self, pair: Pair, day: dt.date, click_index: int) -> None:
        self.geo = GEOS[int(len(GEOS) * unit(pair.key, day, "geo", click_index))]
        self.device = DEVICES[int(len(DEVICES) * unit(pair.key, day, "device", click_index))]
        self.ip = f"203.0.113.{1 + int(254 * unit(pair.key, day, 'ip', click_index))}"  # TEST-NET-3

    @property
    def user_agent(self) -> str:
        return AGENTS[self.device[0]]

    def flat(self) -> Json:
        """The fields a conversion record carries at top level."""
        country_code, country, region, city = self.geo
        platform, os_version, device_type, model, brand, browser = self.device
        return {"country": country, "country_code": country_code, "region": region, "city": city, "dma": 0,
                "carrier": "", "platform": platform, "os_version": os_version, "device_type": device_type,
                "device_model": model, "brand": brand, "browser": browser, "language": "en", "isp": "",
                "http_user_agent": self.user_agent, "session_user_ip": self.ip, "conversion_user_ip": self.ip}

    def geolocation(self) -> Json:
        country_code, country, region, city = self.geo
        return {"country_code": country_code, "country_name": country, "region_name": region,
                "city_name": city, "dma": 0, "carrier_name": "", "isp_name": ""}

    def device_information(self) -> Json:
        platform, os_version, device_type, model, brand, browser = self.device
        return {"platform_name": platform, "os_version": os_version, "device_type": device_type,
                "model": model, "brand": brand, "browser_name": browser, "language": "en",
                "http_user_agent": self.user_agent}
