// Click a figure to open it at full size in a new tab (figures are SVG: sharp at any zoom).
document.addEventListener("DOMContentLoaded", () => {
  for (const img of document.querySelectorAll("main .cell_output img")) {
    if (img.closest("a")) continue;
    const link = document.createElement("a");
    link.href = img.src;
    link.target = "_blank";
    link.title = "open the figure at full size";
    img.replaceWith(link);
    link.appendChild(img);
    img.style.cursor = "zoom-in";
  }
});
